// Behaviour every page shares, declared with data- attributes (no inline handlers: the
// Content-Security-Policy allows scripts from our own static files only).

// <select data-autosubmit>: submit its form when the choice changes.
for (const select of document.querySelectorAll("select[data-autosubmit]")) {
  select.addEventListener("change", () => select.form.submit());
}

// <form data-confirm="Question?">: ask before submitting.
for (const form of document.querySelectorAll("form[data-confirm]")) {
  form.addEventListener("submit", (event) => {
    if (!window.confirm(form.dataset.confirm)) event.preventDefault();
  });
}

// <button data-toggle-day> in a fieldset: tick all of its boxes, or none if all were ticked.
for (const button of document.querySelectorAll("[data-toggle-day]")) {
  button.addEventListener("click", () => {
    const boxes = [...button.closest("fieldset").querySelectorAll("input[type=checkbox]")];
    const on = boxes.some((box) => !box.checked);
    for (const box of boxes) box.checked = on;
  });
}
