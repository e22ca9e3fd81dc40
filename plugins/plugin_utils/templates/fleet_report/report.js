/* The fleet report's page script: paging, the filter box and the severity selector.
 *
 * Every host travels as a card view (plugins/plugin_utils/_fleet_view.py) in the inert JSON block
 * #fleet-data. The first page is already in the document (card.html.j2); any other page is drawn
 * here from the views, with the same elements as card.html.j2: a change there is a change here.
 * A card's details fold is drawn when it is first opened, so a page holds few elements until then.
 * Host data only ever becomes text nodes and attribute values, never markup. Only one page of cards
 * is in the DOM at a time, so 5,000 hosts stay as quick to use as 50.
 */
(function () {
  'use strict';
  var data = null;
  var matching = null;
  var page = 0;
  var box = document.getElementById('hosts');
  var query = document.getElementById('q');
  var severity = document.getElementById('sev');
  var size = document.getElementById('pagesize');
  var info = document.getElementById('pageinfo');
  var prev = document.getElementById('prev');
  var next = document.getElementById('next');

  function load() {
    if (!data) {
      data = JSON.parse(document.getElementById('fleet-data').textContent);
    }
    if (!matching) {
      matching = data.cards.map(function (_, i) { return i; });
    }
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

  function table(title, kind, rows) {
    var labels = data.tables[kind][0];
    var wide = data.tables[kind][1];
    var section = el('section', {'class': 'tbl'}, [el('h4', null, [title])]);
    if (!rows.length) {
      section.append(el('p', {'class': 'muted'}, ['n/a']));
      return section;
    }
    var head = el('tr', null, labels.map(function (label) { return el('th', null, [label]); }));
    var body = el('tbody', null, rows.map(function (row) {
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
    c.tables.forEach(function (t) { tables.append(table(t[0], t[1], t[2])); });
    if (c.findings.length) {
      tables.append(el('section', {'class': 'tbl'}, [el('h4', null, ['I/O findings']),
        el('ul', null, c.findings.map(function (f) { return el('li', null, [f]); }))]));
    }
    tables.append(el('p', {'class': 'muted'}, [c.footnote]));
  }

  function cardElement(c) {
    var card = el('article', {'class': 'host sev-' + c.severity + ' state-' + c.state, 'data-rank': String(c.rank),
      'data-sev': c.severity, 'data-state': c.state, 'data-name': c.name}, [header(c)]);
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

  function filter() {
    load();
    var text = query.value.trim().toLowerCase();
    var want = severity.value;
    matching = [];
    for (var i = 0; i < data.index.length; i++) {
      var entry = data.index[i];
      if (want && want !== entry[0] && want !== entry[1]) { continue; }
      if (text && entry[2].indexOf(text) < 0) { continue; }
      matching.push(i);
    }
    page = 0;
    show(true);
  }

  function show(redraw) {
    var total = matching ? matching.length : parseInt(box.dataset.total, 10);
    var per = parseInt(size.value, 10) || 50;
    var pages = Math.max(1, Math.ceil(total / per));
    if (page >= pages) { page = pages - 1; }
    var first = page * per;
    var last = Math.min(first + per, total);
    if (redraw) {
      load();
      var cards = document.createDocumentFragment();
      for (var i = first; i < last; i++) { cards.append(cardElement(data.cards[matching[i]])); }
      box.replaceChildren(cards);
    }
    info.textContent = total ? ('hosts ' + (first + 1) + '-' + last + ' of ' + total + ' (page ' + (page + 1) + ' of ' + pages + ')')
      : 'no host matches';
    prev.disabled = page === 0;
    next.disabled = page >= pages - 1;
  }

  function go(delta) {
    page += delta;
    show(true);
    box.scrollIntoView();
  }

  // A card's rank is its place in data.cards; the first page's folds come filled from the template.
  box.addEventListener('toggle', function (event) {
    var tables = event.target.open && event.target.querySelector('.tables');
    if (tables && !tables.childNodes.length) {
      load();
      fill(tables, data.cards[parseInt(event.target.closest('article').dataset.rank, 10) - 1]);
    }
  }, true);
  query.addEventListener('input', filter);
  severity.addEventListener('change', filter);
  size.addEventListener('change', function () { page = 0; show(true); });
  prev.addEventListener('click', function () { go(-1); });
  next.addEventListener('click', function () { go(1); });
  document.getElementById('expand').addEventListener('click', function () {
    var open = this.dataset.open !== '1';
    this.dataset.open = open ? '1' : '0';
    this.textContent = open ? 'collapse all' : 'expand all';
    box.querySelectorAll('details').forEach(function (d) { d.open = open; });
  });
  show(false);
  // Parse the card views once the first page is on screen, so that the first click does not wait for it.
  setTimeout(function () { load(); document.body.dataset.ready = '1'; }, 0);
})();
