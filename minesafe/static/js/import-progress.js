// Polls the import's progress once a second and reloads the page when the run has finished.
(function () {
  var box = document.getElementById("import-job");
  if (!box || box.dataset.status === "done" || box.dataset.status === "failed") return;
  function poll() {
    fetch(box.dataset.progressUrl, {credentials: "same-origin"})
      .then(function (r) { return r.json(); })
      .then(function (p) {
        document.getElementById("job-bar").style.width = p.percent + "%";
        document.getElementById("job-count").textContent = p.processed + " / " + p.total;
        if (p.finished) { window.location.reload(); } else { setTimeout(poll, 1000); }
      })
      .catch(function () { setTimeout(poll, 3000); });
  }
  setTimeout(poll, 500);
})();
