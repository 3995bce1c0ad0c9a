// The review console: login, the first password, the queue of cases, one
// case (media viewer, evidence, faces side by side, decision) and, for
// admins, the reviewers. The server sends an empty shell; this script builds
// each page inside <main id="console"> from its data-* attributes and the
// /console/api calls. It makes DOM nodes with textContent only, never
// innerHTML, so nothing the server returns can add markup; sizes and
// transforms are set through CSSOM, which the CSP (style-src 'self') allows.
"use strict";
(() => {
  const root = document.getElementById("console");
  if (!root) return;
  const page = root.dataset.page || "";
  const me = root.dataset.me || "";
  const isAdmin = root.dataset.role === "admin";
  const csrfMeta = document.querySelector('meta[name="csrf-token"]');
  const csrf = csrfMeta ? csrfMeta.content : "";
  const status = el("p", { id: "status", class: "status", role: "status", "aria-live": "polite" });

  const DOCUMENT_CONTEXTS = ["document-front", "document-and-face", "document-front-face-cropped"];
  const FILTERS = ["integration", "status", "from", "to", "vendorData"];
  const STATUS_WORDS = {
    created: "Created", started: "Started", submitted: "Submitted", review: "In review",
    approved: "Approved", declined: "Declined", resubmission_requested: "Resubmission requested",
    expired: "Expired", abandoned: "Abandoned",
  };
  const DONE_WORDS = { approved: "Approved", declined: "Declined", resubmission_requested: "Resubmission requested", review: "Sent to review" };
  // [key, label, low, high, optimum]: brightness is a mean luma, best near the middle.
  const PIXEL_MEASURES = [
    ["sharpness", "Sharpness", 0.4, 0.7, 1], ["exposure", "Exposure", 0.4, 0.7, 1],
    ["contrast", "Contrast", 0.4, 0.7, 1], ["noise", "Noise (1 is clean)", 0.4, 0.7, 1],
    ["blockiness", "Blockiness (1 is clean)", 0.4, 0.7, 1], ["brightness", "Brightness (mean luma)", 0.25, 0.75, 0.5],
  ];
  const PAN_STEP = 40;
  const CARRIED = "kycmedia-console-said"; // sessionStorage: a result to repeat on the next page

  // ---- Small helpers --------------------------------------------------------

  // The one way this script makes elements: attributes, "text" for
  // textContent, "on…" for listeners; children are nodes or plain strings.
  function el(tag, attributes = {}, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attributes)) {
      if (key === "text") node.textContent = value;
      else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
      else if (value !== false && value !== null && value !== undefined) node.setAttribute(key, value === true ? "" : value);
    }
    for (const child of children) if (child !== null && child !== undefined && child !== false) node.append(child);
    return node;
  }

  // A label above its control, tied by for/id, with an optional hint that
  // the control is described by.
  function labelled(text, control, hint) {
    const hintNode = hint ? el("p", { class: "hint", id: `${control.id}-hint`, text: hint }) : null;
    if (hintNode) control.setAttribute("aria-describedby", hintNode.id);
    return el("div", { class: "field" }, el("label", { for: control.id, text }), control, hintNode);
  }

  const option = (value, text) => el("option", { value, text });
  const caseUrl = (id) => `/console/cases/${encodeURIComponent(id)}`;
  const statusWords = (code) => STATUS_WORDS[code] || String(code || "").replace(/[_-]+/g, " ");
  const clamp = (value, low, high) => Math.min(high, Math.max(low, value));
  const plural = (n, word) => `${n} ${word}${n === 1 ? "" : "s"}`;
  const fixed = (value, digits = 2) => (Number.isFinite(value) ? value.toFixed(digits) : "—");

  // Results and errors go to the one polite live region, so that a screen
  // reader hears them without losing its place.
  function say(text, isError = false) {
    status.classList.toggle("error", isError);
    status.textContent = text;
  }

  // Local time as "2026-12-01 13:00", dense and unambiguous; the exact
  // instant stays in datetime/title.
  function timeNode(iso) {
    const date = new Date(iso);
    if (!iso || Number.isNaN(date.getTime())) return el("span", { text: "—" });
    const two = (n) => String(n).padStart(2, "0");
    const text = `${date.getFullYear()}-${two(date.getMonth() + 1)}-${two(date.getDate())} ${two(date.getHours())}:${two(date.getMinutes())}`;
    return el("time", { datetime: iso, title: iso, text });
  }

  // File sizes as people read them.
  function bytes(size) {
    if (!Number.isFinite(size)) return "";
    if (size < 1024) return `${size} B`;
    if (size < 1024 * 1024) return `${Math.round(size / 1024)} KB`;
    return `${(size / 1024 / 1024).toFixed(1)} MB`;
  }

  // ---- Talking to the server ------------------------------------------------

  // Every call goes through here: JSON both ways, the CSRF header on
  // writes, and a failure thrown as { code, status, data, retryAfter }.
  // A 401 "login" means the session ended, a 403 "password" that a new
  // password comes first: either way /console shows the page to go on.
  async function api(method, path, body) {
    const headers = { Accept: "application/json" };
    if (method !== "GET") {
      headers["Content-Type"] = "application/json";
      if (csrf) headers["X-CSRF-Token"] = csrf;
    }
    let response;
    try {
      response = await fetch(path, {
        method, headers, credentials: "same-origin", cache: "no-store",
        body: method === "GET" ? undefined : JSON.stringify(body === undefined ? {} : body),
      });
    } catch (_) {
      throw Object.assign(new Error("network"), { code: "network", status: 0, data: {} });
    }
    const data = (response.status === 204 ? {} : await response.json().catch(() => ({}))) || {};
    if (response.ok) return data;
    const code = data.error || (response.status === 429 ? "busy" : response.status === 404 ? "not-found" : "failed");
    if ((response.status === 401 && code === "login") || code === "password") location.assign("/console");
    throw Object.assign(new Error(code), { code, status: response.status, data, retryAfter: retryAfter(response) });
  }

  // Retry-After in whole seconds (the form this server sends), or null.
  function retryAfter(response) {
    const seconds = Number(response.headers.get("Retry-After") || NaN);
    return Number.isFinite(seconds) ? Math.max(1, Math.ceil(seconds)) : null;
  }

  // Each error code of the contract in words; pages handle their own
  // special cases (wrong password, …) before falling back to this.
  function errorWords(error) {
    const data = error.data || {};
    switch (error.code) {
      case "login": return "Your session has ended; log in again.";
      case "csrf": return "This page is out of date; reload it and try again.";
      case "password": return "Choose a new password first.";
      case "forbidden": return "Your role may not do that.";
      case "not-found": return "Not found: it may have been removed, or is not yours to see.";
      case "taken": return `Assigned to ${data.assignee || "someone else"}.`;
      case "decided": return "This case has already been decided.";
      case "invalid": return data.field ? `The ${data.field} field is not valid.` : "Something in the form is not valid.";
      case "busy": return `The server is busy; wait ${error.retryAfter ?? "a few"} seconds and try again.`;
      case "exists": return "That already exists.";
      case "network": return "The server could not be reached; check the connection and try again.";
      default: return "Something went wrong on the server; try again.";
    }
  }

  const assign = (attemptId) => api("POST", `/console/api/cases/${encodeURIComponent(attemptId)}/assign`, {});

  // Shortcuts fire only when the person is not typing into a field and holds
  // no Ctrl/Alt/Meta (those belong to the browser and the system).
  function shortcutAllowed(event) {
    if (event.defaultPrevented || event.ctrlKey || event.altKey || event.metaKey || event.isComposing) return false;
    const target = event.target;
    return !(target instanceof Element && target.closest("input, textarea, select, [contenteditable]"));
  }

  // ---- Frame shared by the logged-in pages ----------------------------------

  // Product name, navigation, who is logged in, and Log out (#logout, which
  // scripts take as "past the password step"). The password page gets the
  // bar without links or #logout: nothing opens before a new password, and
  // its form has a Log out of its own.
  function headerBar(full = true) {
    const link = (href, text, current) => el("a", { href, text, "aria-current": current ? "page" : null });
    const nav = full
      ? el("nav", { "aria-label": "Console" }, link("/console", "Queue", page === "queue"),
        isAdmin ? link("/console/reviewers", "Reviewers", page === "reviewers") : null)
      : null;
    const logout = full ? logoutButton({ id: "logout", "data-action": "logout", class: "btn quiet" }) : null;
    return el("header", { class: "bar" }, el("span", { class: "product", text: "kycmedia review" }), nav,
      el("span", { class: "me", text: me }), logout);
  }

  // Log out, then /console (the login page).
  function logoutButton(attributes) {
    const button = el("button", { type: "button", text: "Log out", ...attributes });
    button.addEventListener("click", async () => {
      button.disabled = true;
      try {
        await api("POST", "/console/api/logout", {});
        location.assign("/console");
      } catch (error) {
        button.disabled = false;
        say(errorWords(error), true);
      }
    });
    return button;
  }

  // ---- Login and password ---------------------------------------------------

  // The only page without a session: name and password, then the queue.
  function loginPage() {
    const name = el("input", { id: "login-name", type: "text", autocomplete: "username", autocapitalize: "none", spellcheck: "false", required: true });
    const password = el("input", { id: "login-password", type: "password", autocomplete: "current-password", required: true });
    const submit = el("button", { id: "login-submit", type: "submit", class: "btn primary", text: "Log in" });
    const form = el("form", { class: "card", "aria-labelledby": "login-heading" },
      el("h1", { id: "login-heading", text: "kycmedia review" }),
      labelled("Name", name), labelled("Password", password), submit, status);
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      submit.disabled = true;
      say("Logging in…");
      try {
        await api("POST", "/console/api/login", { name: name.value.trim(), password: password.value });
        location.assign("/console");
      } catch (error) {
        submit.disabled = false;
        if (error.code === "invalid") {
          say("Wrong name or password.", true);
          password.select();
          password.focus();
        } else if (error.code === "busy") say(`Too many attempts; wait ${error.retryAfter ?? "a few"} seconds.`, true);
        else say(errorWords(error), true);
      }
    });
    root.replaceChildren(form);
    name.focus();
  }

  // After a one-time password: the current one and a new one typed twice,
  // checked here first so that a typo costs no round trip.
  function passwordPage() {
    const current = el("input", { id: "current-password", type: "password", autocomplete: "current-password" });
    const fresh = el("input", { id: "new-password", type: "password", autocomplete: "new-password", minlength: 12 });
    const again = el("input", { id: "new-password-again", type: "password", autocomplete: "new-password", minlength: 12 });
    const submit = el("button", { id: "password-submit", type: "submit", class: "btn primary", text: "Set password" });
    const form = el("form", { class: "card", novalidate: true, "aria-labelledby": "password-heading" },
      el("h1", { id: "password-heading", text: "Choose your password" }),
      el("p", { text: "You logged in with a one-time password. Choose your own before you go on." }),
      // For password managers, so that they file the new password under this name.
      el("input", { type: "text", autocomplete: "username", value: me, readonly: true, hidden: true }),
      labelled("Current (one-time) password", current),
      labelled("New password", fresh, "At least 12 characters, different from the current one."),
      labelled("New password again", again),
      el("div", { class: "actions" }, submit, logoutButton({ class: "btn" })), status);
    const refuse = (input, text) => {
      for (const each of [current, fresh, again]) each.removeAttribute("aria-invalid");
      input.setAttribute("aria-invalid", "true");
      input.focus();
      say(text, true);
    };
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      if (!current.value) return refuse(current, "Type your current (one-time) password.");
      if (fresh.value.length < 12) return refuse(fresh, "The new password needs at least 12 characters.");
      if (fresh.value !== again.value) return refuse(again, "The two new passwords differ; type the same one twice.");
      if (fresh.value === current.value) return refuse(fresh, "The new password must differ from the current one.");
      submit.disabled = true;
      say("Saving…");
      try {
        await api("POST", "/console/api/password", { current: current.value, new: fresh.value });
        location.assign("/console");
      } catch (error) {
        submit.disabled = false;
        const field = (error.data || {}).field;
        if (error.code === "invalid" && field === "current") refuse(current, "The current password is wrong.");
        else if (error.code === "invalid" && field === "new") refuse(fresh, "The new password needs at least 12 characters and must differ from the current one.");
        else say(errorWords(error), true);
      }
    });
    root.replaceChildren(headerBar(false), el("div", { class: "page narrow" }, form));
    current.focus();
  }

  // ---- Queue ----------------------------------------------------------------

  // The cases waiting, oldest first, filtered by the page URL's query (so a
  // reload or a link keeps the filters); j/k select a row, Enter opens it.
  function queuePage() {
    const filters = filterForm(new URLSearchParams(location.search));
    const columns = ["Case", "Integration", "Attempt", "Status", "Submitted", "Media", "Assignee"];
    const body = el("tbody");
    const more = el("button", { type: "button", class: "btn", text: "More", hidden: true });
    const table = el("table", { id: "queue", class: "grid" },
      el("caption", { text: "Cases waiting for a decision, oldest first" }),
      el("thead", {}, el("tr", {}, ...columns.map((name) => el("th", { scope: "col", text: name })))), body);
    const state = { filters, body, more, rows: [], selected: -1, next: null };
    filters.form.addEventListener("submit", (event) => {
      event.preventDefault();
      const query = filters.query();
      history.replaceState(null, "", query ? `/console?${query}` : "/console");
      loadQueue(state, null, true);
    });
    more.addEventListener("click", () => loadQueue(state, state.next));
    document.addEventListener("keydown", (event) => queueKeys(event, state));
    root.replaceChildren(headerBar(), el("div", { class: "page" }, el("h1", { text: "Queue" }), filters.form, status,
      el("div", { class: "table-wrap" }, table), more));
    loadQueue(state, null);
  }

  // The filter form, filled from the URL. Integrations are known only once
  // the first answer arrives (offer), so a wanted id waits as a bare option.
  function filterForm(params) {
    const wanted = params.get("integration") || "";
    const integration = el("select", { id: "f-integration", name: "integration" }, option("", "Any"), wanted ? option(wanted, wanted) : null);
    const statusSelect = el("select", { id: "f-status", name: "status" }, option("", "Any"), option("submitted", "Submitted"), option("review", "In review"));
    const from = el("input", { id: "f-from", name: "from", type: "date", value: params.get("from") || "" });
    const to = el("input", { id: "f-to", name: "to", type: "date", value: params.get("to") || "" });
    const vendor = el("input", { id: "f-vendorData", name: "vendorData", type: "text", value: params.get("vendorData") || "", autocomplete: "off" });
    integration.value = wanted;
    statusSelect.value = params.get("status") || "";
    const form = el("form", { class: "filters", role: "search", "aria-label": "Filter the queue" },
      labelled("Integration", integration), labelled("Status", statusSelect), labelled("Submitted from", from),
      labelled("to", to), labelled("Vendor data", vendor),
      el("div", { class: "field actions" }, el("button", { type: "submit", class: "btn", text: "Apply" }), el("a", { href: "/console", text: "Clear" })));
    let offered = false;
    const offer = (integrations) => {
      if (offered || !integrations.length) return;
      offered = true;
      integration.replaceChildren(option("", "Any"), ...integrations.map((each) => option(each.id, each.name)));
      if (wanted && !integrations.some((each) => each.id === wanted)) integration.append(option(wanted, wanted));
      integration.value = wanted;
    };
    const query = () => {
      const out = new URLSearchParams();
      for (const control of [integration, statusSelect, from, to, vendor]) if (control.value.trim()) out.set(control.name, control.value.trim());
      return out.toString();
    };
    return { form, offer, query };
  }

  // One page of the queue: the first replaces the rows, "More" appends.
  // The first load of the page stays quiet (the page itself is read out,
  // and a decision just made may be announced there).
  async function loadQueue(state, after, announce = Boolean(after)) {
    const current = new URLSearchParams(location.search);
    const query = new URLSearchParams();
    for (const key of FILTERS) if (current.get(key)) query.set(key, current.get(key));
    if (after) query.set("after", after);
    state.more.disabled = true;
    if (announce) say(after ? "Loading more cases…" : "Loading the queue…");
    try {
      const answer = await api("GET", `/console/api/queue${query.toString() ? `?${query}` : ""}`);
      state.filters.offer(answer.integrations || []);
      if (!after) {
        state.body.replaceChildren();
        state.rows = [];
        state.selected = -1;
      }
      for (const item of answer.cases || []) {
        const row = caseRow(item);
        state.rows.push(row);
        state.body.append(row);
      }
      if (!state.rows.length) state.body.append(el("tr", {}, el("td", { colspan: 7, class: "empty", text: "No case is waiting." })));
      state.next = answer.next || null;
      state.more.hidden = !state.next;
      if (announce) say(`${plural(state.rows.length, "case")} shown${state.next ? "; more with the More button" : ""}.`);
    } catch (error) {
      say(errorWords(error), true);
    }
    state.more.disabled = false;
  }

  // A case as a row; clicking anywhere on it (but its controls) opens it.
  function caseRow(item) {
    const href = caseUrl(item.attemptId);
    const name = item.vendorData || "(no vendor data)";
    const row = el("tr", { "data-href": href },
      el("th", { scope: "row" }, el("a", { href, text: name })),
      el("td", { text: (item.integration && item.integration.name) || "" }),
      el("td", { class: "num", text: String(item.attemptSeq ?? "") }),
      el("td", { text: statusWords(item.status) }),
      el("td", {}, timeNode(item.submittedAt)),
      el("td", { class: "num", text: String(item.media ?? "") }),
      assigneeCell(item, name));
    row.addEventListener("click", (event) => {
      if (!event.target.closest("a, button")) location.assign(href);
    });
    return row;
  }

  // Who has the case; an "Assign to me" button when nobody has it.
  function assigneeCell(item, name) {
    const cell = el("td");
    if (item.assignedToMe) cell.textContent = `${item.assignee || me} (you)`;
    else if (item.assignee) cell.textContent = item.assignee;
    else {
      const button = el("button", { type: "button", class: "btn small", text: "Assign to me", "aria-label": `Assign to me: ${name}` });
      button.addEventListener("click", async () => {
        button.disabled = true;
        try {
          const answer = await assign(item.attemptId);
          cell.replaceChildren(`${answer.assignee || me} (you)`);
          say(`${name} is assigned to you.`);
        } catch (error) {
          if (error.code === "taken") cell.replaceChildren((error.data || {}).assignee || "someone else");
          else button.disabled = false;
          say(errorWords(error), true);
        }
        cell.closest("tr").querySelector("a").focus();
      });
      cell.append(button);
    }
    return cell;
  }

  // j/k move the selection (and the focus, so it is seen and heard);
  // Enter opens the selected row even when the focus went elsewhere.
  function queueKeys(event, state) {
    if (!shortcutAllowed(event) || !state.rows.length) return;
    if (event.key === "j" || event.key === "k") {
      event.preventDefault();
      const index = clamp(state.selected + (event.key === "j" ? 1 : -1), 0, state.rows.length - 1);
      if (state.rows[state.selected]) state.rows[state.selected].classList.remove("selected");
      state.selected = index;
      state.rows[index].classList.add("selected");
      state.rows[index].querySelector("a").focus();
    } else if (event.key === "Enter" && state.selected >= 0 && !event.target.closest("a, button, summary")) {
      event.preventDefault();
      location.assign(state.rows[state.selected].dataset.href);
    }
  }

  // ---- Case -----------------------------------------------------------------

  // Loads the case named by data-case; a 404 says so, with a way back.
  async function casePage() {
    const id = root.dataset.case || "";
    const waiting = el("div", { class: "page" }, el("p", { text: "Loading the case…" }), status);
    root.replaceChildren(headerBar(), waiting);
    let data;
    try {
      data = await api("GET", `/console/api/cases/${encodeURIComponent(id)}`);
    } catch (error) {
      waiting.replaceChildren(el("h1", { text: error.code === "not-found" ? "No such case" : "The case could not be loaded" }),
        status, el("p", {}, el("a", { href: "/console", text: "Back to the queue" })));
      say(errorWords(error), true);
      return;
    }
    showCase(id, data);
  }

  // The case screen: title bar, thumbnail strip (left), viewer (centre),
  // faces, evidence and decision (right), and its keyboard shortcuts.
  function showCase(id, data) {
    const media = groupByContext(data.media || []);
    const viewer = createViewer((step) => pick(current + step));
    const evidence = el("section", { class: "evidence", "aria-labelledby": "evidence-heading" });
    const panel = decisionPanel(id, data);
    const thumbs = media.map((item, index) => thumbButton(item, data.media, () => pick(index)));
    let current = -1;
    // Shows one media: viewer, thumbnail marked current, its evidence.
    const pick = (index) => {
      if (!media.length) return;
      current = clamp(index, 0, media.length - 1);
      thumbs.forEach((thumb, i) => thumb.setAttribute("aria-current", i === current ? "true" : "false"));
      const item = media[current];
      viewer.show(item, mediaLabel(item, data.media), current, media.length);
      evidence.replaceChildren(...evidenceParts(item, mediaLabel(item, data.media)));
      thumbs[current].scrollIntoView({ block: "nearest", inline: "nearest" });
    };
    const strip = el("aside", { class: "strip", "aria-labelledby": "media-heading" },
      el("h2", { id: "media-heading", text: `Media (${media.length})` }), ...thumbGroups(media, thumbs));
    const centre = el("section", { class: "centre", "aria-labelledby": "viewer-heading" }, viewer.toolbar, viewer.frame);
    const side = el("aside", { class: "side", "aria-label": "Evidence and decision" }, facePair(data.media || []),
      el("div", { class: "scroll", tabindex: "0", role: "region", "aria-label": "Evidence and history" }, evidence, attemptsSection(data.attempts), detailsSection(data)), panel.element);
    root.replaceChildren(headerBar(), el("div", { class: "case" }, caseBar(data, panel), strip, centre, side));
    document.addEventListener("keydown", (event) => caseKeys(event, viewer, panel, (step) => pick(current + step)));
    if (media.length) pick(0);
    else viewer.frame.replaceChildren(viewer.note("This attempt has no media."));
    markTimes(strip);
  }

  // Marks when the case was drawn and when every thumbnail had settled
  // (loaded or failed), for bench/console.sh to read from the page.
  function markTimes(strip) {
    performance.mark("case-rendered");
    const pictures = [...strip.querySelectorAll("img")];
    const settled = pictures.map((img) => img.complete ? Promise.resolve() :
      new Promise((done) => { img.addEventListener("load", done, { once: true }); img.addEventListener("error", done, { once: true }); }));
    Promise.all(settled).then(() => performance.mark("thumbnails-loaded"));
  }

  // Contexts in the order they first appear; within each, the API's ranked
  // order is kept. The flat result is the order ←/→ walk through.
  function groupByContext(list) {
    const groups = new Map();
    for (const item of list) {
      if (!groups.has(item.context)) groups.set(item.context, []);
      groups.get(item.context).push(item);
    }
    return [...groups.values()].flat();
  }

  // "face, rank 1 of 3": ranks count within the images, or within the videos.
  function mediaLabel(item, all) {
    if (!Number.isFinite(item.rank)) return item.context;
    const total = all.filter((other) => other.kind === item.kind).length;
    return `${item.context}, rank ${item.rank} of ${total}`;
  }

  const caseName = (data) => (data.session && data.session.vendorData) || (data.attempt && data.attempt.id) || "";

  // Title, integration, attempt, status, who has it (with "Assign to me"
  // when nobody does) and the shortcuts help.
  function caseBar(data, panel) {
    const session = data.session || {};
    const attempt = data.attempt || {};
    const who = el("span", { class: "assignee", text: data.assignedToMe ? "Assigned to you" : data.assignee ? `Assigned to ${data.assignee}` : "Not assigned" });
    const button = data.assignee ? null : el("button", { type: "button", class: "btn small", text: "Assign to me" });
    if (button) {
      button.addEventListener("click", async () => {
        button.disabled = true;
        try {
          await assign(attempt.id || root.dataset.case);
          who.textContent = "Assigned to you";
          button.remove();
          say("Assigned to you.");
          panel.focus();
        } catch (error) {
          button.disabled = false;
          if (error.code === "taken") {
            who.textContent = `Assigned to ${(error.data || {}).assignee || "someone else"}`;
            button.remove();
            panel.lock(who.textContent);
          }
          say(errorWords(error), true);
        }
      });
    }
    return el("div", { class: "case-bar" },
      el("h1", { text: `Case ${caseName(data)}` }),
      el("p", { class: "facts" }, el("span", { text: (session.integration && session.integration.name) || "" }),
        el("span", {}, `Attempt ${attempt.seq ?? ""}, submitted `, timeNode(attempt.submittedAt)),
        el("span", { text: `Status: ${statusWords(attempt.status)}` }), who),
      button, releaseButton(data), shortcutsHelp(data.decisions || []));
  }

  // "Release" for the case's holder, and for an admin whoever holds it, so
  // that a case someone left can be taken again; the page then reloads.
  function releaseButton(data) {
    const mayRelease = data.assignee && (data.assignedToMe || root.dataset.role === "admin");
    if (!mayRelease) return null;
    const id = (data.attempt && data.attempt.id) || root.dataset.case;
    const button = el("button", { type: "button", class: "btn small", id: "release", text: "Release" });
    button.addEventListener("click", async () => {
      button.disabled = true;
      try {
        await api("POST", `/console/api/cases/${encodeURIComponent(id)}/release`, {});
        location.reload();
      } catch (error) {
        button.disabled = false;
        say(errorWords(error), true);
      }
    });
    return button;
  }

  // Every shortcut in words, in a <details> that opens over the page.
  function shortcutsHelp(decisions) {
    const rows = [
      [["←", "→", "[", "]"], "Previous / next media"], [["+", "-", "0"], "Zoom in / out / reset"],
      [["Shift", "arrows"], "Pan the image"], [["r"], "Rotate 90°"],
      ...decisions.map((decision) => [[decision.key], decision.label]), [["q"], "Back to the queue"],
    ];
    const list = el("dl", {}, ...rows.flatMap(([keys, what]) => [el("dt", {}, ...keys.map((key) => el("kbd", { text: key }))), el("dd", { text: what })]));
    return el("details", { class: "shortcuts" }, el("summary", { text: "Keyboard shortcuts" }),
      el("div", { class: "shortcuts-list" }, list, el("p", { class: "hint", text: "The wheel zooms and dragging pans. Shortcuts wait while you type in a field." })));
  }

  // The strip: a heading per context above its thumbnails.
  function thumbGroups(media, thumbs) {
    const out = [];
    let context = null;
    let list = null;
    media.forEach((item, index) => {
      if (item.context !== context) {
        context = item.context;
        list = el("div", { class: "thumbs" });
        out.push(el("h3", { text: context }), list);
      }
      list.append(thumbs[index]);
    });
    return out;
  }

  // A thumbnail button; videos (whose thumbnail URL is a 404) and images
  // whose thumbnail fails get a worded tile instead.
  function thumbButton(item, all, onPick) {
    const label = mediaLabel(item, all);
    const tile = (text) => el("span", { class: "tile", role: "img", "aria-label": label, text });
    let picture;
    if (item.kind === "video" || !item.thumbnail) picture = tile(item.kind === "video" ? "video" : "no preview");
    else {
      picture = el("img", { alt: label, decoding: "async" });
      picture.addEventListener("error", () => picture.replaceWith(tile("no preview")), { once: true });
      picture.src = item.thumbnail;
    }
    const score = Number.isFinite(item.accuracy) ? ` · ${Math.round(item.accuracy * 100)}%` : "";
    return el("button", { type: "button", class: "media-thumb", "data-media-id": item.id, onclick: onPick }, picture,
      el("span", { class: `thumb-caption${item.matches === false ? " nomatch" : ""}`, text: `#${item.rank ?? "?"}${score}${item.matches === false ? " · no match" : ""}` }));
  }

  // The main viewer. An image and its evidence boxes sit in one "stage",
  // so zoom, pan and rotation (one CSS transform, set through CSSOM) move
  // them together; the stage is fitted to the viewer once the image's
  // upright size is known, and again whenever the viewer changes size.
  function createViewer(onStep) {
    const heading = el("h2", { id: "viewer-heading", class: "viewer-title", text: "Viewer" });
    const position = el("span", { class: "position" });
    const zoomText = el("span", { class: "zoom", "aria-hidden": "true", text: "100%" });
    const tool = (text, label, keys, onclick) => el("button", { type: "button", class: "btn tool", text, title: `${label} (${keys})`, "aria-label": label, "aria-keyshortcuts": keys, onclick });
    const state = { stage: null, width: 0, height: 0, zoom: 1, turn: 0, x: 0, y: 0, drag: null };
    const zoomBy = (factor) => {
      if (!state.stage) return;
      state.zoom = clamp(state.zoom * factor, 1, 10);
      if (state.zoom === 1) state.x = state.y = 0;
      if (state.zoom > 1) state.stage.showOriginal();
      apply();
    };
    const reset = () => { state.zoom = 1; state.x = state.y = 0; apply(); };
    const rotate = () => { if (state.stage) { state.turn = (state.turn + 90) % 360; fit(); } };
    const pan = (dx, dy) => { if (state.stage) { state.x += dx; state.y += dy; apply(); } };
    const imageTools = [tool("−", "Zoom out", "-", () => zoomBy(1 / 1.25)), zoomText, tool("+", "Zoom in", "+", () => zoomBy(1.25)),
      tool("Fit", "Reset zoom", "0", reset), tool("Rotate", "Rotate 90°", "r", rotate)];
    const open = el("a", { class: "btn tool", target: "_blank", rel: "noopener", text: "Open original" });
    const toolbar = el("div", { class: "toolbar" }, heading, position,
      tool("‹", "Previous media", "ArrowLeft", () => onStep(-1)), tool("›", "Next media", "ArrowRight", () => onStep(1)),
      el("span", { class: "tools" }, ...imageTools), open);
    const frame = el("div", { id: "viewer", class: "viewer", tabindex: "0", role: "group", "aria-label": "Viewer" });

    function apply() {
      zoomText.textContent = `${Math.round(state.zoom * 100)}%`;
      if (!state.stage) return;
      state.stage.style.transform = `translate(-50%, -50%) translate(${state.x}px, ${state.y}px) rotate(${state.turn}deg) scale(${state.zoom})`;
      state.stage.style.setProperty("--zoom", String(state.zoom));
    }
    // Largest size at which the (possibly turned) image fits the viewer.
    function fit() {
      if (!state.stage || !state.width || !frame.clientWidth) return;
      const turned = state.turn % 180 !== 0;
      const scale = Math.min(frame.clientWidth / (turned ? state.height : state.width), frame.clientHeight / (turned ? state.width : state.height));
      state.stage.style.width = `${state.width * scale}px`;
      state.stage.style.height = `${state.height * scale}px`;
      state.stage.classList.add("ready");
      apply();
    }
    const note = (text) => el("p", { class: "viewer-note", text });
    // The image and its overlay in a new stage; only the newest stage
    // reacts to its image loading. The boxes go in once the image is shown,
    // so that a box in the page is a box on screen.
    function imageStage(item, label) {
      const image = el("img", { alt: label, draggable: "false" });
      const overlay = el("div", { id: "overlay", class: "overlay", "aria-hidden": "true" });
      const stage = el("div", { class: "stage" }, image, overlay);
      image.addEventListener("load", () => {
        if (state.stage !== stage) return;
        state.width = image.naturalWidth;
        state.height = image.naturalHeight;
        fit();
        overlay.replaceChildren(...evidenceBoxes(item.evidence || {}));
      });
      image.addEventListener("error", () => {
        if (state.stage !== stage) return;
        // No preview for this type on the server: try the original itself.
        if (image.dataset.shows === "preview") stage.showOriginal();
        else frame.replaceChildren(note(`This browser cannot show ${item.mimetype || "this file"}; use “Open original”.`));
      });
      // The screen-sized preview first (a fraction of a phone photo's bytes);
      // the original once the reviewer zooms in. The boxes are fractions of
      // the frame, so they fit either.
      stage.showOriginal = () => {
        if (image.dataset.shows === "original") return;
        image.dataset.shows = "original";
        image.src = item.url;
      };
      image.dataset.shows = item.preview ? "preview" : "original";
      image.src = item.preview || item.url;
      return stage;
    }
    function show(item, label, index, count) {
      Object.assign(state, { stage: null, width: 0, height: 0, zoom: 1, turn: 0, x: 0, y: 0, drag: null });
      heading.textContent = label;
      position.textContent = `${index + 1} / ${count}`;
      open.href = item.url;
      frame.setAttribute("aria-label", `Viewer: ${label}`);
      const isImage = item.kind === "image" && String(item.mimetype || "image/").startsWith("image/");
      for (const each of imageTools) if (each.tagName === "BUTTON") each.disabled = !isImage;
      frame.classList.toggle("pannable", isImage);
      if (item.kind === "video") frame.replaceChildren(el("video", { controls: true, preload: "metadata", src: item.url, "aria-label": label }));
      else if (!isImage) frame.replaceChildren(note(`${item.mimetype || "This file"} is not shown here; use “Open original”.`));
      else frame.replaceChildren(state.stage = imageStage(item, label));
      apply();
    }

    frame.addEventListener("wheel", (event) => {
      if (!state.stage) return;
      event.preventDefault();
      zoomBy(event.deltaY < 0 ? 1.15 : 1 / 1.15);
    }, { passive: false });
    frame.addEventListener("pointerdown", (event) => {
      if (!state.stage || event.button !== 0) return;
      state.drag = { x: event.clientX - state.x, y: event.clientY - state.y };
      frame.setPointerCapture(event.pointerId);
      frame.classList.add("dragging");
    });
    frame.addEventListener("pointermove", (event) => {
      if (!state.drag) return;
      state.x = event.clientX - state.drag.x;
      state.y = event.clientY - state.drag.y;
      apply();
    });
    const endDrag = () => { state.drag = null; frame.classList.remove("dragging"); };
    frame.addEventListener("pointerup", endDrag);
    frame.addEventListener("pointercancel", endDrag);
    new ResizeObserver(fit).observe(frame);
    return { toolbar, frame, show, note, zoomBy, reset, rotate, pan };
  }

  // Boxes for the faces, the document and the codes that have a position,
  // placed in percent of the upright frame (the stage is that frame).
  function evidenceBoxes(evidence) {
    const boxes = (evidence.faces || []).map((face) => box("face", "face", face));
    if (evidence.document) boxes.push(box("document", evidence.document.format || "document", evidence.document));
    for (const code of evidence.codes || []) boxes.push(box("code", code.format || "code", code));
    return boxes.filter(Boolean);
  }

  const hasBox = (place) => Boolean(place) && [place.x, place.y, place.width, place.height].every(Number.isFinite);

  // One labelled box, placed through CSSOM (no style attribute in markup).
  function box(kind, label, place) {
    if (!hasBox(place)) return null;
    const node = el("div", { class: `box ${kind}-box` }, el("span", { class: "box-label", text: label }));
    node.style.left = `${place.x * 100}%`;
    node.style.top = `${place.y * 100}%`;
    node.style.width = `${place.width * 100}%`;
    node.style.height = `${place.height * 100}%`;
    return node;
  }

  // The evidence of one media in words: facts, scores as meters, findings,
  // issues, and what was detected (codes without a position only here).
  function evidenceParts(item, label) {
    const evidence = item.evidence || {};
    const pixels = evidence.pixels || {};
    const video = evidence.video || {};
    const duration = Number.isFinite(item.durationMs) ? item.durationMs : video.duration_ms;
    const facts = [
      ["File", [item.mimetype, bytes(item.size)].filter(Boolean).join(", ")],
      ["Size", item.width && item.height ? `${item.width} × ${item.height} px` : null],
      ["Duration", Number.isFinite(duration) ? `${(duration / 1000).toFixed(1)} s` : null],
      ["Ranked as a match", typeof item.matches === "boolean" ? (item.matches ? "yes" : "no") : null],
      ["Rule", evidence.family], ["Resolution", Number.isFinite(evidence.resolution) ? fixed(evidence.resolution) : null],
      ["EXIF orientation", evidence.orientation], ["Noise sigma", Number.isFinite(pixels.noise_sigma) ? `${fixed(pixels.noise_sigma, 1)} grey levels` : null],
    ].filter(([, value]) => value !== null && value !== undefined && value !== "");
    const meters = [meterRow("accuracy", "Accuracy", item.accuracy, 0.4, 0.7, 1), meterRow("quality", "Quality", item.quality, 0.4, 0.7, 1),
      ...PIXEL_MEASURES.map(([key, name, low, high, best]) => meterRow(key, name, pixels[key], low, high, best))].filter(Boolean);
    const issues = (evidence.issues || []).map((code) => el("li", {}, el("code", { text: code })));
    return [
      el("h2", { id: "evidence-heading", text: "Evidence" }), el("p", { class: "subtitle", text: label }),
      el("dl", { class: "facts-list" }, ...facts.flatMap(([name, value]) => [el("dt", { text: name }), el("dd", { text: String(value) })])),
      meters.length ? el("div", { class: "meters" }, ...meters) : null,
      listPart("Issues", issues, "issues"),
      listPart("Findings", (evidence.findings || []).map((text) => el("li", { text }))),
      listPart("Detected", detectedWords(evidence).map((text) => el("li", { text }))),
    ].filter(Boolean);
  }

  // A labelled meter for a 0..1 measure, its number beside it.
  function meterRow(key, label, value, low, high, optimum) {
    if (!Number.isFinite(value)) return null;
    const id = `m-${key}`;
    return el("div", { class: "meter" }, el("label", { for: id, text: label }),
      el("meter", { id, min: 0, max: 1, low, high, optimum, value }), el("span", { class: "value", text: fixed(value) }));
  }

  // A titled list, or nothing when there is nothing to list.
  function listPart(title, items, kind = "") {
    if (!items.length) return null;
    return el("div", { class: `list-part ${kind}` }, el("h3", { text: title }), el("ul", {}, ...items));
  }

  // Faces, document, codes, print and video measures as sentences.
  function detectedWords(evidence) {
    const out = (evidence.faces || []).map((face) => `face${Number.isFinite(face.score) ? `, score ${fixed(face.score, 1)}` : ""}`);
    const doc = evidence.document;
    if (doc) out.push(`${doc.format || "document"} document${Number.isFinite(doc.aspect) ? `, aspect ${fixed(doc.aspect)}` : ""}${Number.isFinite(doc.coverage) ? `, covers ${Math.round(doc.coverage * 100)}%` : ""}`);
    for (const code of evidence.codes || []) out.push(`${code.format || "unknown"} code${Number.isFinite(code.payload_bytes) ? `, ${plural(code.payload_bytes, "byte")}` : ""}${hasBox(code) ? "" : " (no position)"}`);
    if (evidence.print) out.push(`print: ${Object.entries(evidence.print).map(([key, value]) => `${key.replace(/_/g, " ")} ${value}`).join(", ")}`);
    const video = evidence.video;
    if (video) out.push(`video ${video.width || "?"} × ${video.height || "?"}${Number.isFinite(video.duration_ms) ? `, ${(video.duration_ms / 1000).toFixed(1)} s` : ""}${Number.isFinite(video.bitrate_kbps) ? `, ${video.bitrate_kbps} kbit/s` : ""}`);
    return out;
  }

  // The document portrait beside the selfie, each cropped to its face.
  function facePair(media) {
    const withFace = (item) => item.evidence && hasBox((item.evidence.faces || [])[0]);
    const portrait = media.find((item) => DOCUMENT_CONTEXTS.includes(item.context) && withFace(item));
    const selfie = media.find((item) => item.context === "face" && withFace(item));
    return el("section", { class: "faces", "aria-labelledby": "faces-heading" }, el("h2", { id: "faces-heading", text: "Faces" }),
      el("div", { class: "pair" }, faceFigure(portrait, "Document portrait", media), faceFigure(selfie, "Selfie", media)));
  }

  // One face, captioned, or "No face found" in its place.
  function faceFigure(item, caption, media) {
    if (!item) return el("figure", { class: "face" }, el("div", { class: "no-face", text: "No face found" }), el("figcaption", { text: caption }));
    const canvas = el("canvas", { width: 1, height: 1, role: "img", "aria-label": `${caption}: the face in ${mediaLabel(item, media)}` });
    drawFace(canvas, item.preview || item.url, item.evidence.faces[0]);
    return el("figure", { class: "face" }, canvas, el("figcaption", { text: caption }));
  }

  // Draws the face box, with a margin around it, from the loaded preview
  // (upright, as the boxes assume; 1600 px is plenty for a 320 px crop).
  function drawFace(canvas, url, face) {
    const image = new Image();
    image.addEventListener("load", () => {
      const width = image.naturalWidth;
      const height = image.naturalHeight;
      const margin = 0.15;
      const left = clamp(face.x - face.width * margin, 0, 1) * width;
      const top = clamp(face.y - face.height * margin, 0, 1) * height;
      const cropWidth = clamp(face.x + face.width * (1 + margin), 0, 1) * width - left;
      const cropHeight = clamp(face.y + face.height * (1 + margin), 0, 1) * height - top;
      if (cropWidth < 1 || cropHeight < 1) return;
      const scale = Math.min(1, 320 / Math.max(cropWidth, cropHeight));
      canvas.width = Math.round(cropWidth * scale);
      canvas.height = Math.round(cropHeight * scale);
      canvas.getContext("2d").drawImage(image, left, top, cropWidth, cropHeight, 0, 0, canvas.width, canvas.height);
      canvas.classList.add("ready");
    });
    image.src = url;
  }

  // Earlier attempts of the session, each with its decision in words.
  function attemptsSection(attempts) {
    const earlier = (attempts || []).filter((attempt) => !attempt.current);
    if (!earlier.length) return null;
    return el("section", { class: "attempts", "aria-labelledby": "attempts-heading" }, el("h2", { id: "attempts-heading", text: "Earlier attempts" }),
      el("ul", {}, ...earlier.map((attempt) => el("li", {},
        el("a", { href: caseUrl(attempt.id), text: `Attempt ${attempt.seq}: ${decisionWords(attempt)}` }), " ", timeNode(attempt.submittedAt),
        attempt.decision && attempt.decision.comment ? el("p", { class: "comment", text: `“${attempt.decision.comment}”` }) : null))));
  }

  // "Resubmission requested — Poor image quality, by alice".
  function decisionWords(attempt) {
    const decision = attempt.decision;
    if (!decision) return statusWords(attempt.status);
    return `${statusWords(decision.status)}${decision.reason ? ` — ${decision.reason}` : ""}${decision.by ? `, by ${decision.by}` : ""}`;
  }

  // The ids a reviewer may need to quote to the integrator.
  function detailsSection(data) {
    const session = data.session || {};
    const attempt = data.attempt || {};
    const rows = [["Session", session.id], ["Session status", statusWords(session.status)], ["Attempt", attempt.id]];
    return el("section", { class: "details", "aria-labelledby": "details-heading" }, el("h2", { id: "details-heading", text: "Case details" }),
      el("dl", { class: "facts-list" }, ...rows.flatMap(([name, value]) => [el("dt", { text: name }), el("dd", { class: "id", text: value || "—" })]),
        el("dt", { text: "Session created" }), el("dd", {}, timeNode(session.createdAt))));
  }

  // Why the panel is closed, in words.
  function whyNotDecidable(data) {
    if (data.assignee && !data.assignedToMe) return `Assigned to ${data.assignee}`;
    const current = (data.attempts || []).find((attempt) => attempt.current);
    if (current && current.decision) return `Already decided: ${decisionWords(current)}.`;
    return `Not waiting for a decision (${statusWords((data.attempt || {}).status)}).`;
  }

  // The decision panel. A decision without reasons goes at once; one with
  // reasons first needs a reason, then Enter in the list (or its button
  // again) sends it. When the case cannot be decided, everything is disabled
  // and the panel says why.
  function decisionPanel(attemptId, data) {
    const decisions = data.decisions || [];
    const note = el("p", { class: "panel-note", hidden: true });
    const reason = el("select", { id: "reason", disabled: true });
    const reasonLabel = el("label", { for: "reason", text: "Reason" });
    const reasonField = el("div", { class: "field", hidden: true }, reasonLabel, reason);
    const comment = el("textarea", { id: "decision-comment", rows: 2, maxlength: 2000 });
    const buttons = decisions.map((decision) => el("button", {
      type: "button", class: `btn decide decide-${decision.status}`, "data-decision": decision.status, "aria-keyshortcuts": decision.key,
      onclick: () => press(decision),
    }, decision.label, " ", el("kbd", { "aria-hidden": "true", text: decision.key })));
    const set = el("fieldset", { class: "decide-set", "aria-labelledby": "decision-heading" },
      el("div", { class: "decide-buttons" }, ...buttons), reasonField, labelled("Comment (optional)", comment));
    const element = el("section", { class: "decision", "aria-labelledby": "decision-heading" },
      el("h2", { id: "decision-heading", text: "Decision" }), note, set, status);
    let chosen = null;
    let locked = false;

    // Shows the reasons of the chosen decision (or hides the list).
    function choose(decision) {
      chosen = decision;
      buttons.forEach((button, i) => button.classList.toggle("chosen", decisions[i] === decision));
      const reasons = decision.reasons || [];
      reasonLabel.textContent = `Reason to ${decision.label.toLowerCase()}`;
      reason.replaceChildren(option("", "Pick a reason…"), ...reasons.map((each) => option(String(each.code), `${each.code} · ${each.text}`)));
      reason.disabled = !reasons.length;
      reasonField.hidden = !reasons.length;
    }
    function press(decision) {
      if (locked) return note.hidden ? undefined : say(note.textContent, true);
      if (!(decision.reasons || []).length) return send(decision, null);
      if (chosen === decision && reason.value) return send(decision, Number(reason.value));
      if (chosen !== decision) choose(decision);
      reason.focus();
      say("Pick a reason, then press Enter");
    }
    async function send(decision, reasonCode) {
      set.disabled = true;
      say(`${decision.label}: sending…`);
      try {
        const answer = await api("POST", `/console/api/cases/${encodeURIComponent(attemptId)}/decision`,
          { decision: decision.status, reasonCode, comment: comment.value.trim() });
        locked = true;
        const done = DONE_WORDS[answer.status || decision.status] || statusWords(answer.status || decision.status);
        say(done);
        // The next page repeats it, so it is not lost with this one.
        sessionStorage.setItem(CARRIED, `${done}: ${caseName(data)}.${answer.next ? " This is the next case." : ""}`);
        setTimeout(() => location.assign(answer.next ? caseUrl(answer.next) : "/console"), 600);
      } catch (error) {
        if (error.code === "taken" || error.code === "decided") return lock(errorWords(error).replace(/\.$/, ""), errorWords(error));
        set.disabled = false;
        if (error.code === "invalid" && (error.data || {}).field === "reasonCode") {
          reason.focus();
          return say("Pick a reason from the list, then press Enter.", true);
        }
        say(errorWords(error), true);
      }
    }
    function lock(why, message) {
      locked = true;
      set.disabled = true;
      note.textContent = why;
      note.hidden = false;
      if (message) say(message, true);
    }
    reason.addEventListener("keydown", (event) => {
      if (event.key !== "Enter" || !chosen) return;
      event.preventDefault();
      if (reason.value) send(chosen, Number(reason.value));
      else say("Pick a reason, then press Enter");
    });
    if (!data.decidable) lock(whyNotDecidable(data));
    const byKey = (key) => decisions.find((decision) => String(decision.key).toLowerCase() === key);
    return { element, press, lock, byKey, focus: () => buttons[0] && buttons[0].focus() };
  }

  // The case page's shortcuts. Arrows stay with a focused video (it seeks
  // with them); Shift+arrows pan; letters are matched in either case.
  function caseKeys(event, viewer, panel, step) {
    if (!shortcutAllowed(event)) return;
    const key = event.key.length === 1 ? event.key.toLowerCase() : event.key;
    const arrows = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, -1], ArrowDown: [0, 1] };
    if (arrows[key] && event.target instanceof Element && event.target.closest("video")) return;
    let action = null;
    if (arrows[key] && event.shiftKey) action = () => viewer.pan(arrows[key][0] * PAN_STEP, arrows[key][1] * PAN_STEP);
    else {
      const keys = {
        ArrowLeft: () => step(-1), "[": () => step(-1), ArrowRight: () => step(1), "]": () => step(1),
        "+": () => viewer.zoomBy(1.25), "=": () => viewer.zoomBy(1.25), "-": () => viewer.zoomBy(1 / 1.25), _: () => viewer.zoomBy(1 / 1.25),
        0: viewer.reset, r: viewer.rotate, q: () => location.assign("/console"),
      };
      const decision = panel.byKey(key);
      action = keys[key] || (decision ? () => panel.press(decision) : null);
    }
    if (!action) return;
    event.preventDefault();
    action();
  }

  // ---- Reviewers (admins) ---------------------------------------------------

  // The reviewers table, the form to add one, and the one-time password
  // box that add and reset fill.
  function reviewersPage() {
    const body = el("tbody");
    const table = el("table", { id: "reviewers", class: "grid" }, el("caption", { text: "Reviewers and the integrations they see" }),
      el("thead", {}, el("tr", {}, ...["Name", "Role", "State", "Integrations", "Actions"].map((name) => el("th", { scope: "col", text: name })))), body);
    const secret = el("div", { class: "secret", hidden: true, tabindex: "-1" });
    const state = { body, secret };
    const form = addReviewerForm(state);
    root.replaceChildren(headerBar(), el("div", { class: "page" }, el("h1", { text: "Reviewers" }), status, secret,
      el("div", { class: "table-wrap" }, table), form.element));
    state.reload = async () => {
      try {
        const answer = await api("GET", "/console/api/reviewers");
        form.offer(answer.integrations || []);
        body.replaceChildren(...(answer.reviewers || []).map((reviewer) => reviewerRow(reviewer, state)));
      } catch (error) {
        say(errorWords(error), true);
      }
    };
    state.reload();
  }

  // Shows a one-time password once, and takes the focus so it is read out.
  function showSecret(state, name, password) {
    const code = el("code", { id: "one-time-password", text: password });
    const copy = el("button", { type: "button", class: "btn small", text: "Copy" });
    copy.addEventListener("click", () => {
      navigator.clipboard.writeText(password).then(() => say("Copied."), () => say("Select the password and copy it.", true));
    });
    state.secret.replaceChildren(el("p", { text: `Give this one-time password to ${name}; it is shown only now.` }), el("p", {}, code, " ", copy));
    state.secret.hidden = false;
    state.secret.focus();
  }

  // A reviewer as a row, with Disable (not for oneself) and Reset password.
  function reviewerRow(reviewer, state) {
    const actions = el("td", { class: "actions" });
    const act = (text, path, done) => {
      const button = el("button", { type: "button", class: "btn small", text, "aria-label": `${text}: ${reviewer.name}` });
      button.addEventListener("click", async () => {
        button.disabled = true;
        try {
          done(await api("POST", `/console/api/reviewers/${encodeURIComponent(reviewer.id)}/${path}`, {}));
        } catch (error) {
          button.disabled = false;
          say(errorWords(error), true);
        }
      });
      return button;
    };
    if (reviewer.active && reviewer.name !== me) {
      actions.append(act("Disable", "disable", () => { say(`${reviewer.name} is disabled.`); state.reload(); }));
    }
    actions.append(act("Reset password", "reset-password", (answer) => {
      say(`${reviewer.name} has a new one-time password.`);
      showSecret(state, reviewer.name, answer.password);
      state.reload();
    }));
    const names = (reviewer.integrations || []).map((each) => each.name).join(", ");
    return el("tr", {}, el("th", { scope: "row", text: reviewer.name }), el("td", { text: reviewer.role === "admin" ? "Admin" : "Reviewer" }),
      el("td", { text: reviewer.active ? "Active" : "Disabled" }), el("td", { text: names || "—" }), actions);
  }

  // "Add a reviewer": name, role, integrations as checkboxes.
  function addReviewerForm(state) {
    const name = el("input", { id: "new-name", type: "text", autocomplete: "off", autocapitalize: "none", spellcheck: "false" });
    const role = el("select", { id: "new-role" }, option("reviewer", "Reviewer"), option("admin", "Admin"));
    const boxes = el("div", { class: "checks" });
    const submit = el("button", { id: "add-reviewer", type: "submit", class: "btn primary", text: "Add reviewer" });
    const element = el("form", { class: "add", novalidate: true, "aria-labelledby": "add-heading" },
      el("h2", { id: "add-heading", text: "Add a reviewer" }), labelled("Name", name), labelled("Role", role),
      el("fieldset", {}, el("legend", { text: "Integrations" }), boxes), submit);
    const offer = (integrations) => {
      const ticked = new Set([...boxes.querySelectorAll("input:checked")].map((input) => input.value));
      boxes.replaceChildren(...integrations.map((each, i) => el("div", { class: "check" },
        el("input", { type: "checkbox", id: `integration-${i}`, name: "integration", value: each.id, checked: ticked.has(each.id) }),
        el("label", { for: `integration-${i}`, text: each.name }))));
      if (!integrations.length) boxes.append(el("p", { class: "hint", text: "No integration yet." }));
    };
    element.addEventListener("submit", async (event) => {
      event.preventDefault();
      const wanted = name.value.trim();
      if (!wanted) {
        name.focus();
        return say("Type the new reviewer's name.", true);
      }
      const integrations = [...boxes.querySelectorAll("input:checked")].map((input) => input.value);
      submit.disabled = true;
      try {
        const answer = await api("POST", "/console/api/reviewers", { name: wanted, role: role.value, integrations });
        say(`${answer.name || wanted} is added.`);
        element.reset();
        showSecret(state, answer.name || wanted, answer.password);
        state.reload();
      } catch (error) {
        if (error.code === "exists") say(`There is already a reviewer named ${wanted}.`, true);
        else if (error.code === "invalid" && (error.data || {}).field === "name") say("That name is not accepted; try another.", true);
        else say(errorWords(error), true);
        if (error.code === "exists" || error.code === "invalid") name.focus();
      }
      submit.disabled = false;
    });
    return { element, offer };
  }

  // ---- Start ----------------------------------------------------------------

  // A page the server answers 404 for (e.g. /console/reviewers for a reviewer).
  function missingPage() {
    root.replaceChildren(headerBar(), el("div", { class: "page" }, el("h1", { text: "Page not found" }), status,
      el("p", {}, el("a", { href: "/console", text: "Back to the queue" }))));
  }

  const pages = { login: loginPage, password: passwordPage, queue: queuePage, case: casePage, reviewers: reviewersPage };
  (pages[page] || missingPage)();
  const carried = sessionStorage.getItem(CARRIED);
  if (carried) {
    sessionStorage.removeItem(CARRIED);
    if (!status.textContent) say(carried);
  }
})();
