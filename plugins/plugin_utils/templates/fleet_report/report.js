/* The fleet report's page script: paging, the filter box, the severity selector, the table and its sorting.
 *
 * Every host travels as a card view and a table row (plugins/plugin_utils/_fleet_view.py) in the inert
 * JSON block #fleet-data, compressed (raw DEFLATE) and base64-encoded: the rows in one piece, inflated
 * when the page opens (the filter and the table need them all), the cards in blocks of data.block hosts,
 * inflated when a page shows one of them. The first page is already in the document (card.html.j2,
 * table.html.j2); any other page is drawn here with the same elements: a change there is a change here.
 * A card's details fold is drawn when it is first opened. Host data only ever becomes text nodes and
 * attribute values, never markup. Only one page is in the DOM at a time, so 50,000 hosts stay as quick
 * to use as 50. window.fleetReport.drawn is the promise of the latest drawing (the browser test waits on it).
 */
(function () {
  'use strict';
  var data = JSON.parse(document.getElementById('fleet-data').textContent);
  var rows = null;
  var rowsLoading = null;
  var blocks = [];
  var matching = null;
  var sorted = null;
  var page = 0;
  var drawing = 0;
  var api = window.fleetReport = {drawn: Promise.resolve()};
  var box = document.getElementById('hosts');
  var table = document.getElementById('table');
  var tbody = document.getElementById('rows');
  var query = document.getElementById('q');
  var severity = document.getElementById('sev');
  var size = document.getElementById('pagesize');
  var view = document.getElementById('view');
  var info = document.getElementById('pageinfo');
  var prev = document.getElementById('prev');
  var next = document.getElementById('next');

  function inflate(text) {
    var binary = atob(text);
    var bytes = new Uint8Array(binary.length);
    for (var i = 0; i < binary.length; i++) { bytes[i] = binary.charCodeAt(i); }
    var stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream('deflate-raw'));
    return new Response(stream).text().then(JSON.parse);
  }

  function loadRows() {
    if (!rowsLoading) {
      rowsLoading = inflate(data.rows).then(function (all) { rows = all; return all; });
    }
    return rowsLoading;
  }

  /* The card views of these hosts (their places in report order), inflating the blocks they are in. */
  function cards(indices) {
    var wanted = {};
    indices.forEach(function (i) { wanted[Math.floor(i / data.block)] = true; });
    return Promise.all(Object.keys(wanted).map(function (k) {
      if (!blocks[k]) { blocks[k] = inflate(data.cards[k]); }
      return blocks[k];
    })).then(function () {
      return Promise.all(indices.map(function (i) {
        return blocks[Math.floor(i / data.block)].then(function (views) { return views[i % data.block]; });
      }));
    });
  }

  /* An element with attributes (in the order given) and children (elements or strings, as text). */
  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (name) { node.setAttribute(name, attrs[name]); });
    (children || []).forEach(function (child) { node.append(child); });
    return node;
  }

  function meter(m) {
    return el('span', {'class': 'bar', title: m[2]}, [el('span', {'class': 'fill ' + m[1], style: 'width:' + m[0] + '%'})]);
  }

  function detailTable(title, kind, cells) {
    var labels = data.tables[kind][0];
    var wide = data.tables[kind][1];
    var section = el('section', {'class': 'tbl'}, [el('h4', null, [title])]);
    if (!cells.length) {
      section.append(el('p', {'class': 'muted'}, ['n/a']));
      return section;
    }
    var head = el('tr', null, labels.map(function (label) { return el('th', null, [label]); }));
    var body = el('tbody', null, cells.map(function (row) {
      return el('tr', null, row.map(function (cell, i) {
        return el('td', wide.indexOf(i) >= 0 ? {'class': 'args'} : null, [cell]);
      }));
    }));
    section.append(el('table', null, [el('thead', null, [head]), body]));
    return section;
  }

  function header(c) {
    var children = [el('span', {'class': 'badge ' + c.severity}, [c.badge]), el('h3', null, [c.name])];
    if (c.state_label) {
      children.push(el('span', {'class': 'state'}, [c.state_label]));
    }
    children.push(el('span', {'class': 'counts'}, c.counts.map(function (n) {
      return el('b', {'class': 'c-' + n[0], title: n[0] + ' alerts'}, [String(n[1])]);
    })));
    return el('header', null, children);
  }

  function gauges(c) {
    var parts = [
      el('div', {'class': 'metrics'}, c.metrics.map(function (m) {
        return el('div', {'class': 'metric'}, [el('span', {'class': 'k'}, [m[0]]), el('span', {'class': 'v'}, [m[1]]),
          meter(m[2]), el('span', {'class': 'sub'}, [m[3]])]);
      })),
      el('dl', {'class': 'hogs'}, [].concat.apply([], c.hogs.map(function (h) {
        var what = h.length > 2 ? [el('b', null, [h[2]]), ' ' + h[3]] : ['n/a'];
        return [el('dt', null, [h[0]]), el('dd', {'class': h[1]}, what)];
      })))
    ];
    if (c.filesystems.length) {
      parts.push(el('div', {'class': 'fs'}, c.filesystems.map(function (f) {
        return el('div', {'class': 'fsrow'}, [el('span', {'class': 'mp', title: f[0]}, [f[1]]), meter(f[2]),
          el('span', {'class': 'pct'}, [f[3]]), el('span', {'class': 'sz'}, [f[4]])]);
      })));
    }
    return parts;
  }

  /* The details fold starts empty: its tables are drawn when it is first opened (see fill). */
  function details(c) {
    return el('details', null, [el('summary', null, [c.details]), el('div', {'class': 'tables'})]);
  }

  function fill(tables, c) {
    c.tables.forEach(function (t) { tables.append(detailTable(t[0], t[1], t[2])); });
    if (c.findings.length) {
      tables.append(el('section', {'class': 'tbl'}, [el('h4', null, ['I/O findings']),
        el('ul', null, c.findings.map(function (f) { return el('li', null, [f]); }))]));
    }
    tables.append(el('p', {'class': 'muted'}, [c.footnote]));
  }

  function cardElement(c, rank) {
    var card = el('article', {'class': 'host sev-' + c.severity + ' state-' + c.state, 'data-rank': String(rank),
      'data-sev': c.severity, 'data-state': c.state, 'data-name': c.name}, [header(c)]);
    if (c.identity) {
      card.append(el('p', {'class': 'identity'}, [c.identity]));
    }
    if (c.alerts.length) {
      card.append(el('ul', {'class': 'alerts'}, c.alerts.map(function (a) {
        return el('li', {'class': a[0]}, [el('i', null, [a[1]]), ' ' + a[2]]);
      })));
    }
    if (c.more_alerts) {
      card.append(el('p', {'class': 'muted'}, ['and ' + c.more_alerts + ' more alert(s)']));
    }
    if (c.state === 'ok') {
      gauges(c).forEach(function (part) { card.append(part); });
      card.append(details(c));
    }
    return card;
  }

  function rowElement(r, rank) {
    return el('tr', {'class': 'sev-' + r[0] + ' state-' + r[1], 'data-rank': String(rank)}, r[3].map(function (cell) {
      return typeof cell === 'string' ? el('td', null, [cell]) : el('td', {'class': 'num'}, [cell[1]]);
    }));
  }

  /* The order shown: the hosts that match, sorted by the chosen column (report order otherwise). */
  function order() {
    var shown = matching || (sorted ? rows.map(function (_, i) { return i; }) : null);
    if (shown && sorted) {
      var col = sorted.col;
      var down = sorted.down ? -1 : 1;
      var keys = new Array(rows.length);
      shown.forEach(function (i) {
        var cell = rows[i][3][col];
        keys[i] = typeof cell === 'string' ? cell.toLowerCase() : cell[0];
      });
      shown = shown.slice().sort(function (a, b) {
        var ka = keys[a];
        var kb = keys[b];
        if (ka === kb) { return a - b; }
        if (ka === null) { return 1; }
        if (kb === null) { return -1; }
        return (ka < kb ? -1 : 1) * down;
      });
    }
    return shown;
  }

  function show(redraw) {
    var shown = rows ? order() : null;
    var total = shown ? shown.length : data.total;
    var per = parseInt(size.value, 10) || 50;
    var pages = Math.max(1, Math.ceil(total / per));
    if (page >= pages) { page = pages - 1; }
    var first = page * per;
    var last = Math.min(first + per, total);
    info.textContent = total ? ('hosts ' + (first + 1) + '-' + last + ' of ' + total + ' (page ' + (page + 1) + ' of ' + pages + ')')
      : 'no host matches';
    prev.disabled = page === 0;
    next.disabled = page >= pages - 1;
    table.hidden = view.value !== 'table';
    box.hidden = view.value === 'table';
    if (!redraw) { return api.drawn; }
    var ticket = ++drawing;
    var indices = [];
    for (var i = first; i < last; i++) { indices.push(shown ? shown[i] : i); }
    var drawn = view.value === 'table' ? loadRows().then(function () {
      if (ticket !== drawing) { return; }
      tbody.replaceChildren.apply(tbody, indices.map(function (k) { return rowElement(rows[k], k + 1); }));
    }) : cards(indices).then(function (views) {
      if (ticket !== drawing) { return; }
      var fragment = document.createDocumentFragment();
      views.forEach(function (c, n) { fragment.append(cardElement(c, indices[n] + 1)); });
      box.replaceChildren(fragment);
      // While this page is read, inflate the cards of the next one.
      var following = [];
      for (var k = last; k < Math.min(last + per, total); k++) { following.push(shown ? shown[k] : k); }
      setTimeout(function () { cards(following); }, 0);
    });
    api.drawn = drawn;
    return drawn;
  }

  function filter() {
    return loadRows().then(function () {
      var text = query.value.trim().toLowerCase();
      var want = severity.value;
      matching = [];
      for (var i = 0; i < rows.length; i++) {
        var r = rows[i];
        if (want && want !== r[0] && want !== r[1] && !(want === 'stale' && r[4])) { continue; }
        if (text && r[2].indexOf(text) < 0) { continue; }
        matching.push(i);
      }
      page = 0;
      return show(true);
    });
  }

  function sortBy(button) {
    return loadRows().then(function () {
      var col = parseInt(button.dataset.col, 10);
      sorted = sorted && sorted.col === col ? {col: col, down: !sorted.down} : {col: col, down: false};
      table.querySelectorAll('th').forEach(function (th) { th.setAttribute('aria-sort', 'none'); });
      button.parentNode.setAttribute('aria-sort', sorted.down ? 'descending' : 'ascending');
      page = 0;
      return show(true);
    });
  }

  function go(delta) {
    page += delta;
    return show(true).then(function () { (table.hidden ? box : table).scrollIntoView(); });
  }

  // A card's rank is its place in report order; the first page's folds come filled from the template.
  box.addEventListener('toggle', function (event) {
    var tables = event.target.open && event.target.querySelector('.tables');
    if (tables && !tables.childNodes.length) {
      var rank = parseInt(event.target.closest('article').dataset.rank, 10);
      api.drawn = cards([rank - 1]).then(function (views) {
        if (!tables.childNodes.length) { fill(tables, views[0]); }
      });
    }
  }, true);
  table.querySelector('thead').addEventListener('click', function (event) {
    var button = event.target.closest('button');
    if (button) { api.drawn = sortBy(button); }
  });
  query.addEventListener('input', function () { api.drawn = filter(); });
  severity.addEventListener('change', function () { api.drawn = filter(); });
  size.addEventListener('change', function () { page = 0; show(true); });
  view.addEventListener('change', function () { show(true); });
  prev.addEventListener('click', function () { api.drawn = go(-1); });
  next.addEventListener('click', function () { api.drawn = go(1); });
  document.getElementById('expand').addEventListener('click', function () {
    var open = this.dataset.open !== '1';
    this.dataset.open = open ? '1' : '0';
    this.textContent = open ? 'collapse all' : 'expand all';
    box.querySelectorAll('details').forEach(function (d) { d.open = open; });
  });
  show(false);
  // Inflate the rows and the first block once the first page is on screen, so that the first click does not wait.
  api.drawn = Promise.all([loadRows(), data.total ? cards([0]) : null]).then(function () { document.body.dataset.ready = '1'; });
})();
