// Progressive enhancement of like, repost and follow: a form marked data-enhance is submitted with
// fetch, and the server's fragment (the button's new state, web/fragments.py) replaces the form, or
// its closest [data-swap] container, without a navigation. Without this file the forms post and
// redirect back as before; on any failure the form is submitted the ordinary way, so the user sees
// the server's own answer (a rate limit, an expired session).
document.addEventListener("submit", async (event) => {
  const form = event.target;
  if (!(form instanceof HTMLFormElement) || !form.hasAttribute("data-enhance")) return;
  event.preventDefault();
  const target = form.closest("[data-swap]") || form;
  const button = form.querySelector("button");
  if (button) button.disabled = true;
  const body = new FormData(form);
  let response;
  try {
    response = await fetch(form.action, {
      method: "POST",
      body,
      credentials: "same-origin",
      headers: { "X-Fragment": "1", "X-CSRFToken": body.get("csrfmiddlewaretoken") || "" },
    });
  } catch {
    response = null;
  }
  if (!response || !response.ok || response.redirected) {
    form.submit();
    return;
  }
  const template = document.createElement("template");
  template.innerHTML = (await response.text()).trim();
  const replacement = template.content.firstElementChild;
  if (!replacement) {
    form.submit();
    return;
  }
  target.replaceWith(replacement);
  // Keyboard and screen-reader users stay on the button they pressed, now in its new state.
  const focus = replacement.querySelector("button") || replacement;
  if (focus instanceof HTMLElement) focus.focus();
});
