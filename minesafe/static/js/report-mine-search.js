// Mine search on the public report form (/report/): shows the search box (hidden without JavaScript,
// when the reporter describes the mine instead), asks report:mine_search as the reporter types, and
// puts the chosen mine's id in the hidden "mine" field. Texts come from data- attributes (translated).
(function () {
  var picker = document.getElementById("mine-picker");
  var box = document.getElementById("mine-search");
  var hidden = document.getElementById("id_mine");
  var county = document.getElementById("id_county");
  var list = document.getElementById("mine-results");
  var chosen = document.getElementById("mine-selected");
  if (!picker || !box || !hidden || !list || !chosen) return;
  picker.hidden = false;
  var timer = null;
  var seq = 0;

  function clearList() {
    while (list.firstChild) list.removeChild(list.firstChild);
  }

  function note(text) {
    clearList();
    var li = document.createElement("li");
    li.className = "muted";
    li.textContent = text;
    list.appendChild(li);
  }

  function showChosen(label) {
    chosen.textContent = "";
    if (!hidden.value) { chosen.hidden = true; return; }
    var strong = document.createElement("strong");
    strong.textContent = picker.dataset.selected + " " + label + " ";
    var again = document.createElement("button");
    again.type = "button";
    again.className = "btn secondary";
    again.id = "mine-clear";
    again.textContent = picker.dataset.clear;
    again.addEventListener("click", function () {
      hidden.value = "";
      box.value = "";
      showChosen("");
      box.focus();
    });
    chosen.appendChild(strong);
    chosen.appendChild(again);
    chosen.hidden = false;
  }

  function choose(mine) {
    hidden.value = String(mine.id);
    box.value = mine.name;
    box.dataset.county = mine.county_code || "";
    if (county && mine.county_code) county.value = mine.county_code;
    clearList();
    showChosen(mine.name + "（" + mine.county + "）");
  }

  function search() {
    var q = box.value.trim();
    if (q.length < 2) { clearList(); return; }
    var mine = ++seq;
    var url = picker.dataset.url + "?q=" + encodeURIComponent(q) +
      (county && county.value ? "&county=" + encodeURIComponent(county.value) : "");
    note(picker.dataset.busy);
    fetch(url, {credentials: "same-origin", headers: {"Accept": "application/json"}})
      .then(function (r) { return r.json(); })
      .then(function (data) {
        if (mine !== seq) return;  // an older answer arriving late
        clearList();
        var results = data.results || [];
        if (data.detail) { note(data.detail); return; }
        if (!results.length) { note(picker.dataset.none); return; }
        results.forEach(function (m) {
          var li = document.createElement("li");
          var b = document.createElement("button");
          b.type = "button";
          b.className = "mine-option";
          b.setAttribute("role", "option");
          b.textContent = m.name + "（" + m.county + "）";
          b.addEventListener("click", function () { choose(m); });
          li.appendChild(b);
          list.appendChild(li);
        });
      })
      .catch(function () { if (mine === seq) clearList(); });
  }

  box.addEventListener("input", function () {
    if (hidden.value) { hidden.value = ""; showChosen(""); }
    clearTimeout(timer);
    timer = setTimeout(search, 250);
  });
  if (county) {
    county.addEventListener("change", function () {
      if (hidden.value && box.dataset.county && county.value && county.value !== box.dataset.county) {
        hidden.value = "";
        showChosen("");
      }
      if (box.value.trim().length >= 2 && !hidden.value) search();
    });
  }
  // After a refused submission the chosen mine is kept: show it again.
  if (hidden.value) {
    box.dataset.county = county ? county.value : "";
    showChosen(box.value);
  }
})();
