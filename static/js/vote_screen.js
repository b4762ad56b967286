// People's Choice projector screen: poll the number of ballots every few seconds and
// show it; when the vote opens or closes, load the page again to show its new state.
const root = document.querySelector("[data-vote-url]");

if (root) {
  const url = root.dataset.voteUrl;
  const count = root.querySelector("[data-vote='ballots']");
  const state = root.dataset.voteState;

  const poll = async () => {
    try {
      const response = await fetch(url, { headers: { Accept: "application/json" }, cache: "no-store" });
      if (!response.ok) return;
      const data = await response.json();
      if (data.state !== state) {
        window.location.reload();
        return;
      }
      if (count) count.textContent = `${data.ballots} ballot${data.ballots === 1 ? "" : "s"}`;
    } catch {
      // The venue wifi dropped: keep showing the last count and try again.
    }
  };

  window.setInterval(poll, 5000);
}
