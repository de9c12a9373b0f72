// On narrow screens the header's links fold behind a "Menu" button. Without this script the
// links stay visible (the CSS only folds them once the page is marked `js-menu`).
const header = document.querySelector(".site-header");
const toggle = header && header.querySelector(".menu-toggle");
if (toggle) {
  document.documentElement.classList.add("js-menu");
  toggle.hidden = false;
  toggle.addEventListener("click", () => {
    const open = header.classList.toggle("open");
    toggle.setAttribute("aria-expanded", String(open));
  });
}
