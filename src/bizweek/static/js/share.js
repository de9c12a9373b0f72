// Share boxes on booth and product pages: select the link on focus, copy it on click.
for (const input of document.querySelectorAll(".share-link")) {
  input.addEventListener("focus", () => input.select());
}
for (const button of document.querySelectorAll("[data-copy]")) {
  button.addEventListener("click", async () => {
    try {
      await navigator.clipboard.writeText(button.dataset.copy);
      button.classList.add("done");
    } catch {
      document.querySelector(".share-link")?.select();
    }
  });
}
