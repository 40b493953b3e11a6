// Progressive enhancement of the posting form: a live character counter and an image preview.
// The form works without this file; the server enforces every rule.
document.addEventListener("DOMContentLoaded", () => {
  const text = document.querySelector("textarea[data-max-length]");
  const counter = document.getElementById("text-counter");
  if (text && counter) {
    const max = Number(text.dataset.maxLength);
    const update = () => {
      // Count Unicode code points, as the server does, not UTF-16 units.
      const used = Array.from(text.value.trim()).length;
      counter.textContent = `${used} / ${max}`;
      counter.classList.toggle("over", used > max);
    };
    text.addEventListener("input", update);
    update();
  }
  const file = document.querySelector(".compose input[type=file]");
  const preview = document.getElementById("image-preview");
  if (file && preview) {
    file.addEventListener("change", () => {
      const [chosen] = file.files;
      if (chosen && chosen.type.startsWith("image/")) {
        preview.src = URL.createObjectURL(chosen);
        preview.hidden = false;
      } else {
        preview.removeAttribute("src");
        preview.hidden = true;
      }
    });
  }
});
