// The report's Print button (no inline handlers: the site runs under a Content-Security-Policy).
for (const button of document.querySelectorAll("[data-print]")) {
  button.addEventListener("click", () => window.print());
}
