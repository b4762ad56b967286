// Live Dragons' Den screens: poll the server's state and count down between polls.
// The server is the clock: each poll resets the countdown, so a sleeping tablet or a
// restarted server never leaves the timer wrong for more than one poll.
const root = document.querySelector("[data-live-url]");

if (root) {
  const url = root.dataset.liveUrl;
  const timer = root.querySelector("[data-live='timer']");
  const current = root.querySelector("[data-live='current']");
  const stage = root.querySelector("[data-live='stage']");
  const order = root.querySelector("[data-live='order']");
  const judges = root.querySelector("[data-live='judges']");
  let secondsLeft = null;

  const format = (s) => {
    const sign = s < 0 ? "-" : "";
    const abs = Math.abs(s);
    return `${sign}${Math.floor(abs / 60)}:${String(abs % 60).padStart(2, "0")}`;
  };

  const paint = () => {
    if (!timer) return;
    timer.textContent = secondsLeft === null ? "–" : format(secondsLeft);
    timer.classList.toggle("app-live-timer--warning", secondsLeft !== null && secondsLeft <= 30 && secondsLeft > 0);
    timer.classList.toggle("app-live-timer--over", secondsLeft !== null && secondsLeft <= 0);
  };

  const replaceList = (list, items, render) => {
    if (!list) return;
    list.replaceChildren(...items.map((item) => {
      const li = document.createElement("li");
      render(li, item);
      return li;
    }));
  };

  const apply = (data) => {
    secondsLeft = data.seconds_left;
    if (current) current.textContent = data.current || "No team on stage";
    if (stage) stage.textContent = data.stage_label;
    if (order && data.order.length) {
      replaceList(order, data.order, (li, slot) => {
        li.textContent = `${slot.position}. ${slot.team}`;
        li.className = `app-live-slot app-live-slot--${slot.status}`;
        if (slot.status === "current") li.setAttribute("aria-current", "step");
      });
    }
    if (judges && data.judges) {
      replaceList(judges, data.judges, (li, judge) => {
        li.textContent = `${judge.name}: ${judge.submitted ? "scored" : "not yet"}`;
        li.className = judge.submitted ? "app-live-judge--done" : "app-live-judge--waiting";
      });
    }
    paint();
  };

  const poll = async () => {
    try {
      const response = await fetch(url, { headers: { Accept: "application/json" }, cache: "no-store" });
      if (response.ok) apply(await response.json());
    } catch (error) {
      // Keep counting down locally while the venue wifi drops out.
    }
  };

  setInterval(() => {
    if (secondsLeft !== null) secondsLeft -= 1;
    paint();
  }, 1000);
  setInterval(poll, 2000);
  poll();
}
