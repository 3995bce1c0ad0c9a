// The capture flow: a start screen, one screen per step (camera, or a file
// as the fallback), a summary, submit, then the callback or a done page.
// Everything it says comes from /v/{token}/flow in the person's language;
// it talks to this server only. In an iframe it speaks the provider's
// in-context protocol (VERIFF_HANDSHAKE, _STARTED, _SUBMITTED, _FINISHED,
// _CANCELED) to the page around it.
"use strict";
(() => {
  const app = document.getElementById("app");
  const token = location.pathname.split("/")[2];
  const base = `/v/${token}`;
  const lang = new URLSearchParams(location.search).get("lang") || "";
  const framed = window.parent !== window;
  let words = {};
  let steps = [];
  let resubmission = false;
  const taken = new Map(); // context -> { url, hints }
  let stream = null;

  const t = (key, values = {}) =>
    (words[key] || key).replace(/\{(\w+)\}/g, (_, name) => (name in values ? values[name] : `{${name}}`));

  const tell = (name) => {
    if (framed) window.parent.postMessage(name, "*");
  };

  function el(tag, attributes = {}, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attributes)) {
      if (key === "text") node.textContent = value;
      else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
      else if (value !== false && value !== null && value !== undefined) node.setAttribute(key, value === true ? "" : value);
    }
    for (const child of children) if (child) node.append(child);
    return node;
  }

  // One screen at a time; its heading takes the focus, so that a screen
  // reader announces where the person is.
  function show(...children) {
    stopCamera();
    app.replaceChildren(...children.filter(Boolean));
    const heading = app.querySelector("h1");
    if (heading) {
      heading.setAttribute("tabindex", "-1");
      heading.focus();
    }
  }

  const status = () => el("p", { class: "status", role: "status", "aria-live": "polite" });

  function stopCamera() {
    if (stream) stream.getTracks().forEach((track) => track.stop());
    stream = null;
  }

  async function send(path, body, type) {
    const response = await fetch(`${base}${path}${lang ? `?lang=${encodeURIComponent(lang)}` : ""}`, {
      method: "POST",
      headers: type ? { "Content-Type": type } : {},
      body,
      credentials: "omit",
      cache: "no-store",
    });
    let answer = {};
    try {
      answer = await response.json();
    } catch (_) {
      answer = {};
    }
    if (!response.ok) {
      const code = answer.error || (response.status === 413 ? "too-large" : response.status === 429 ? "busy" : "failed");
      throw Object.assign(new Error(code), { code, status: response.status });
    }
    return answer;
  }

  function start() {
    const begin = el("button", { type: "button", class: "primary", text: t("start.begin"), onclick: () => {
      tell("VERIFF_STARTED");
      step(0);
    } });
    const cancel = framed
      ? el("button", { type: "button", class: "secondary", text: t("start.cancel"), onclick: () => tell("VERIFF_CANCELED") })
      : null;
    show(
      el("h1", { text: t("start.heading") }),
      resubmission ? el("p", { class: "notice", text: t("start.resubmission") }) : null,
      el("p", { text: t("start.body") }),
      el("p", { class: "small", text: t("start.privacy") }),
      el("div", { class: "actions" }, begin, cancel),
    );
  }

  // `refused` is why the last photo of this step was not taken, if it was not.
  function step(index, fromSummary = false, refused = "") {
    const current = steps[index];
    const key = `step.${current.context}`;
    const live = status();
    const video = el("video", { autoplay: true, playsinline: true, muted: true, "aria-label": t("capture.camera") });
    const frame = el("div", { class: `viewfinder guide-${current.guide}`, hidden: true }, video, el("div", { class: "guide", "aria-hidden": "true" }));
    const take = el("button", { type: "button", class: "primary", text: t("capture.take"), hidden: true });
    const inputId = `file-${current.context}`;
    const file = el("input", { type: "file", id: inputId, accept: current.kind === "video" ? "video/*" : "image/*", class: "file" });
    const choose = el("label", { for: inputId, class: "button secondary", text: t("capture.choose") });

    show(
      el("p", { class: "progress", text: t("page.progress", { n: index + 1, total: steps.length }) }),
      el("h1", { text: t(`${key}.title`) }),
      el("p", { text: t(`${key}.hint`) }),
      frame,
      el("div", { class: "actions" }, take, file, choose),
      live,
    );
    if (refused) {
      live.classList.add("error");
      live.textContent = refused;
    }

    const accept = async (blob) => {
      stopCamera();
      live.textContent = t("capture.checking");
      take.disabled = true;
      file.disabled = true;
      try {
        const answer = await send(`/captures/${current.context}`, blob, blob.type || "application/octet-stream");
        taken.set(current.context, { url: URL.createObjectURL(blob), hints: answer.hints || [] });
        review(index, fromSummary);
      } catch (error) {
        // Anew, camera and all, saying why.
        step(index, fromSummary, t(`error.${error.code || "network"}`));
      }
    };

    file.addEventListener("change", () => {
      if (file.files && file.files[0]) accept(file.files[0]);
    });

    if (current.kind === "image" && navigator.mediaDevices && navigator.mediaDevices.getUserMedia) {
      navigator.mediaDevices
        .getUserMedia({ video: { facingMode: { ideal: current.camera }, width: { ideal: 1920 }, height: { ideal: 1080 } }, audio: false })
        .then((opened) => {
          if (!app.contains(video)) {
            opened.getTracks().forEach((track) => track.stop());
            return;
          }
          stream = opened;
          video.srcObject = opened;
          frame.hidden = false;
          take.hidden = false;
        })
        .catch(() => {
          live.textContent = t("capture.no-camera");
        });
      take.addEventListener("click", () => {
        const canvas = document.createElement("canvas");
        canvas.width = video.videoWidth;
        canvas.height = video.videoHeight;
        canvas.getContext("2d").drawImage(video, 0, 0);
        canvas.toBlob((blob) => blob && accept(blob), "image/jpeg", 0.92);
      });
    }
  }

  function hintList(hints) {
    if (!hints.length) return el("p", { class: "good", text: t("capture.good") });
    return el("ul", { class: "hints" }, ...hints.map((code) => el("li", { text: t(`hint.${code}`) })));
  }

  // The photo just taken, with the advice on it: retake, or go on anyway.
  // The suggested action comes first, on screen and in the tab order.
  function review(index, fromSummary) {
    const current = steps[index];
    const shot = taken.get(current.context);
    const next = () => (fromSummary || index + 1 >= steps.length ? summary() : step(index + 1));
    const advice = el("div", { role: "status", "aria-live": "polite" }, hintList(shot.hints));
    const onward = el("button", { type: "button", text: shot.hints.length ? t("capture.continue-anyway") : t("capture.next"), onclick: next });
    const retake = el("button", { type: "button", text: t("capture.retake"), onclick: () => step(index, fromSummary) });
    const [first, second] = shot.hints.length ? [retake, onward] : [onward, retake];
    first.className = "primary";
    second.className = "secondary";
    show(
      el("p", { class: "progress", text: t("page.progress", { n: index + 1, total: steps.length }) }),
      el("h1", { text: t(`step.${current.context}.title`) }),
      el("img", { src: shot.url, alt: t("capture.photo"), class: "shot" }),
      advice,
      el("div", { class: "actions" }, first, second),
    );
  }

  function summary() {
    const live = status();
    const submit = el("button", { type: "button", class: "primary", text: t("summary.submit") });
    const items = steps.map((current, index) => {
      const shot = taken.get(current.context);
      const title = t(`step.${current.context}.title`);
      return el(
        "li",
        { class: "summary-item" },
        el("img", { src: shot.url, alt: title, class: "thumb" }),
        el("div", {}, el("h2", { text: title }), hintList(shot.hints),
          el("button", { type: "button", class: "link", text: t("summary.retake", { step: title }), onclick: () => step(index, true) })),
      );
    });
    submit.addEventListener("click", async () => {
      submit.disabled = true;
      live.textContent = t("summary.submitting");
      try {
        const answer = await send("/submit", null, null);
        tell("VERIFF_SUBMITTED");
        done(answer.redirect);
      } catch (error) {
        live.textContent = t(`error.${error.code || "network"}`);
        submit.disabled = false;
      }
    });
    show(el("h1", { text: t("summary.heading") }), el("p", { text: t("summary.body") }), el("ul", { class: "summary" }, ...items), el("div", { class: "actions" }, submit), live);
  }

  function done(redirect) {
    for (const shot of taken.values()) URL.revokeObjectURL(shot.url);
    taken.clear();
    const going = redirect && !framed;
    show(el("h1", { text: t("done.heading") }), el("p", { text: going ? t("done.redirecting") : t("done.body") }));
    tell("VERIFF_FINISHED");
    if (going) location.assign(redirect);
  }

  window.addEventListener("message", (event) => {
    // The in-context SDK answers the handshake with VERIFF_RENDER; the flow
    // looks the same either way.
    if (event.source === window.parent && event.data && event.data.name === "VERIFF_RENDER") app.dataset.rendered = "true";
  });

  fetch(`${base}/flow${lang ? `?lang=${encodeURIComponent(lang)}` : ""}`, { credentials: "omit", cache: "no-store" })
    .then((response) => (response.ok ? response.json() : Promise.reject(Object.assign(new Error("flow"), { status: response.status }))))
    .then((flow) => {
      words = flow.strings;
      steps = flow.steps;
      resubmission = flow.resubmission;
      document.documentElement.lang = flow.lang;
      tell("VERIFF_HANDSHAKE");
      start();
    })
    .catch((error) => {
      // Ended since the page loaded: the server now renders a page saying so.
      if (error.status === 404 || error.status === 410) location.reload();
      else app.append(el("p", { role: "alert", text: app.dataset.failed || "" }));
    });
})();
