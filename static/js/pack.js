// A document pack being made (templates/judging/pack.html): ask the server how far it
// has got every two seconds, move the bar, and show the download once it is ready.
const root = document.querySelector("[data-pack-url]");

if (root && ["queued", "running"].includes(root.dataset.packStatus)) {
  const meter = root.querySelector("progress");
  const message = root.querySelector("[data-pack-message]");
  let lastMessage = message ? message.textContent : "";

  const poll = async () => {
    let data;
    try {
      const response = await fetch(root.dataset.packUrl, {
        headers: { Accept: "application/json" },
        credentials: "same-origin",
      });
      if (!response.ok) throw new Error(String(response.status));
      data = await response.json();
    } catch {
      window.setTimeout(poll, 5000); // offline or busy: try again a little later
      return;
    }
    if (data.status === "done" || data.status === "failed") {
      window.location.reload(); // the page shows the download, or what went wrong
      return;
    }
    if (meter) {
      meter.value = data.percent;
      meter.textContent = `${data.percent}%`;
    }
    const text = `${data.message} (${data.percent}%)`;
    // The status region is polite; only a new step or page count is announced.
    if (message && text !== lastMessage) {
      message.textContent = text;
      lastMessage = text;
    }
    window.setTimeout(poll, 2000);
  };

  window.setTimeout(poll, 1000);
}
