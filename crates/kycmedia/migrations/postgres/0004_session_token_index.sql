-- The capture page finds its session by the token in its URL (issue 13).
CREATE UNIQUE INDEX sessions_token ON sessions(session_token);
