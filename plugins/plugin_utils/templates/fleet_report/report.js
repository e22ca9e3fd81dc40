/* The fleet report's page script: paging, the filter box, the severity selector, the table and its sorting.
 *
 * Every host travels as a card view and a table row (plugins/plugin_utils/_fleet_view.py) in the inert
 * JSON block #fleet-data, compressed (raw DEFLATE) and base64-encoded (plugins/plugin_utils/_fleet_html.py):
 * the rows in one piece, inflated when the page opens (the filter and the table need them all); each card
 * in two parts, its face in blocks of data.face_block hosts, inflated when a page shows one of them, and
 * its details fold in blocks of data.fold_block hosts, inflated when the fold is first opened. The first
 * page is already in the document (card.html.j2, table.html.j2); any other page is drawn here with the
 * same elements: a change there is a change here. Host data only ever becomes text nodes and attribute
 * values, never markup. Only one page is in the DOM at a time, and only the latest blocks stay inflated,
 * so 50,000 hosts stay as quick to use as 50. window.fleetReport.drawn is the promise of the latest
 * drawing (the browser test and the bench wait on it).
 */
(function () {
  'use strict';
  var data = JSON.parse(document.getElementById('fleet-data').textContent);
  var rows = null;
  var rowsLoading = null;
  // Every host's search text on one string, a newline after each (a filter box's value holds none), and
  // where each starts: one indexOf pass over the fleet finds the matches, with no object per host to scan.
  var search = '';
  var starts = null;
  var faces = blockCache(data.faces, data.face_block, 400);
  var folds = blockCache(data.folds, data.fold_block, 50);
  var matching = null;
  var sorted = null;
  var page = 0;
  var drawing = 0;
  // inflate: the page's inflater (inflate below), which the browser test holds to zlib's every kind of block.
  var api = window.fleetReport = {drawn: Promise.resolve(), inflate: function (texts) { return inflate(texts); }};
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
  var expand = document.getElementById('expand');
  var expanded = false;
  var defaultSize = size.value;

  function bytes(text) {
    if (Uint8Array.fromBase64) { return Uint8Array.fromBase64(text); }
    var binary = atob(text);
    var array = new Uint8Array(binary.length);
    for (var i = 0; i < binary.length; i++) { array[i] = binary.charCodeAt(i); }
    return array;
  }

  /* Raw DEFLATE (RFC 1951, section 3.2), inflated at once on the page's thread. DecompressionStream is
   * asynchronous: each stream takes several task hops, and a hop waits behind whatever the page's thread
   * has queued, such as laying out the page just drawn; on a loaded machine, tens of ms for a page's few
   * kilobytes. A page's blocks are small, so they are inflated here. */
  var LENGTH_BASE = [3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115,
    131, 163, 195, 227, 258];
  var LENGTH_EXTRA = [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0];
  var DISTANCE_BASE = [1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537,
    2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577];
  var DISTANCE_EXTRA = [0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13];
  var CODE_LENGTH_ORDER = [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15];

  /* A canonical Huffman code (section 3.2.2) as a lookup table: for every value of the next `bits` input
   * bits (first bit lowest), the symbol << 4 | its code's length. */
  function huffman(lengths) {
    var bits = Math.max.apply(null, lengths);
    var counts = new Int32Array(16);
    var codes = new Int32Array(16);
    var table = new Int32Array(1 << bits);
    lengths.forEach(function (length) { counts[length]++; });
    counts[0] = 0;
    for (var length = 1, code = 0; length < 16; length++) {
      code = (code + counts[length - 1]) << 1;
      codes[length] = code;
    }
    lengths.forEach(function (length, symbol) {
      if (!length) { return; }
      var code = codes[length]++;
      var reversed = 0;
      for (var b = 0; b < length; b++) { reversed = (reversed << 1) | ((code >> b) & 1); }
      for (var i = reversed; i < table.length; i += 1 << length) { table[i] = (symbol << 4) | length; }
    });
    return {table: table, bits: bits};
  }

  var FIXED_LITERALS = huffman([].concat(new Array(144).fill(8), new Array(112).fill(9), new Array(24).fill(7),
    new Array(8).fill(8)));
  var FIXED_DISTANCES = huffman(new Array(30).fill(5));

  function inflateRaw(input) {
    var out = new Uint8Array(Math.max(1024, input.length * 8));
    var size = 0;
    var at = 0;
    var buffer = 0;
    var held = 0;
    function need(count) {
      while (held < count) {
        if (at >= input.length) { throw new Error('truncated DEFLATE data'); }
        buffer |= input[at++] << held;
        held += 8;
      }
    }
    function take(count) {
      need(count);
      var value = buffer & ((1 << count) - 1);
      buffer >>>= count;
      held -= count;
      return value;
    }
    function symbol(code) {
      while (held < code.bits && at < input.length) { buffer |= input[at++] << held; held += 8; }
      var entry = code.table[buffer & ((1 << code.bits) - 1)];
      var length = entry & 15;
      if (!length || length > held) { throw new Error('bad DEFLATE code'); }
      buffer >>>= length;
      held -= length;
      return entry >> 4;
    }
    function room(count) {
      if (size + count > out.length) {
        var bigger = new Uint8Array(Math.max(out.length * 2, size + count));
        bigger.set(out);
        out = bigger;
      }
    }
    function dynamicCodes() {
      var literals = take(5) + 257;
      var distances = take(5) + 1;
      var codeLengths = take(4) + 4;
      var lengthsOfLengths = new Array(19).fill(0);
      for (var i = 0; i < codeLengths; i++) { lengthsOfLengths[CODE_LENGTH_ORDER[i]] = take(3); }
      var lengthCode = huffman(lengthsOfLengths);
      var lengths = [];
      while (lengths.length < literals + distances) {
        var s = symbol(lengthCode);
        if (s < 16) {
          lengths.push(s);
        } else {
          var repeat = s === 16 ? 3 + take(2) : s === 17 ? 3 + take(3) : 11 + take(7);
          var value = s === 16 ? lengths[lengths.length - 1] : 0;
          while (repeat--) { lengths.push(value); }
        }
      }
      return [huffman(lengths.slice(0, literals)), huffman(lengths.slice(literals))];
    }
    function stored() {
      at -= held >> 3;
      buffer = held = 0;
      var length = input[at] | (input[at + 1] << 8);
      // NLEN, the one's complement of LEN (section 3.2.4): a damaged length is an error, not a wrong page.
      var complement = input[at + 2] | (input[at + 3] << 8);
      if ((length ^ complement) !== 0xffff) { throw new Error('bad DEFLATE stored block length'); }
      at += 4;
      room(length);
      out.set(input.subarray(at, at + length), size);
      size += length;
      at += length;
    }
    function compressed(literals, distances) {
      for (;;) {
        var s = symbol(literals);
        if (s < 256) {
          room(1);
          out[size++] = s;
        } else if (s === 256) {
          return;
        } else {
          var length = LENGTH_BASE[s - 257] + take(LENGTH_EXTRA[s - 257]);
          var d = symbol(distances);
          var distance = DISTANCE_BASE[d] + take(DISTANCE_EXTRA[d]);
          room(length);
          for (var end = size + length; size < end; size++) { out[size] = out[size - distance]; }
        }
      }
    }
    for (var last = 0; !last;) {
      last = take(1);
      var type = take(2);
      if (type === 0) {
        stored();
      } else if (type === 1) {
        compressed(FIXED_LITERALS, FIXED_DISTANCES);
      } else if (type === 2) {
        var codes = dynamicCodes();
        compressed(codes[0], codes[1]);
      } else {
        throw new Error('bad DEFLATE block type');
      }
    }
    return out.subarray(0, size);
  }

  /* The JSON values of packed blocks, inflated in one pass. Each block is a flushed raw DEFLATE segment
   * (_fleet_html.packed): the blocks one after the other, then an empty final block (END), are one stream,
   * and each block's text is one line. */
  var END = [3, 0];
  var utf8 = new TextDecoder();
  function inflate(texts) {
    var parts = texts.map(bytes);
    var all = new Uint8Array(parts.reduce(function (sum, part) { return sum + part.length; }, END.length));
    var at = 0;
    parts.forEach(function (part) { all.set(part, at); at += part.length; });
    all.set(END, at);
    return utf8.decode(inflateRaw(all)).split('\n', texts.length).map(function (line) { return JSON.parse(line); });
  }

  /* The value of one large block, by the browser's DecompressionStream, in steps that leave the page's
   * thread free between them: the rows (megabytes), once, when the page opens. The bytes stream from a
   * Response, not a Blob, whose data would go to the browser process and back. */
  function inflateLarge(text) {
    var part = bytes(text);
    var all = new Uint8Array(part.length + END.length);
    all.set(part);
    all.set(END, part.length);
    var stream = new Response(all).body.pipeThrough(new DecompressionStream('deflate-raw'));
    return new Response(stream).text().then(JSON.parse);
  }

  /* The values of hosts by place in report order, from packed blocks of per hosts each, inflated when
   * first needed, the missing blocks of one call together; the latest `keep` blocks stay inflated (a Map
   * iterates in insertion order: the first is the least recently used). */
  function blockCache(packed, per, keep) {
    var inflated = new Map();
    return function (indices) {
      var wanted = new Map();
      var missing = [];
      indices.forEach(function (i) {
        var k = Math.floor(i / per);
        if (!wanted.has(k)) {
          wanted.set(k, inflated.get(k));
          if (!inflated.has(k)) { missing.push(k); }
        }
      });
      if (missing.length) {
        var batch = inflate(missing.map(function (k) { return packed[k]; }));
        missing.forEach(function (k, n) { wanted.set(k, batch[n]); });
      }
      wanted.forEach(function (block, k) {
        inflated.delete(k);
        inflated.set(k, block);
      });
      while (inflated.size > keep) { inflated.delete(inflated.keys().next().value); }
      return Promise.resolve(indices.map(function (i) { return wanted.get(Math.floor(i / per))[i % per]; }));
    };
  }

  function loadRows() {
    if (!rowsLoading) {
      rowsLoading = inflateLarge(data.rows).then(function (all) {
        var texts = new Array(all.length);
        starts = new Int32Array(all.length);
        for (var i = 0, at = 0; i < all.length; i++) {
          texts[i] = all[i][2];
          starts[i] = at;
          at += texts[i].length + 1;
          all[i][2] = null;
        }
        search = texts.join('\n') + '\n';
        data.rows = null;
        rows = all;
        return all;
      });
    }
    return rowsLoading;
  }

  /* The hosts (places in report order) whose search text holds text: a match, then on from the next host. */
  function searchFor(text) {
    var found = [];
    var last = rows.length - 1;
    var host = 0;
    var at = search.indexOf(text);
    while (at >= 0) {
      // The host the match is in: the one the search went on from (a common word), else a binary search.
      var low = host;
      if (low < last && starts[low + 1] <= at) {
        var high = last;
        while (low < high) {
          var mid = (low + high + 1) >> 1;
          if (starts[mid] <= at) { low = mid; } else { high = mid - 1; }
        }
      }
      found.push(low);
      host = low + 1;
      at = host <= last ? search.indexOf(text, starts[host]) : -1;
    }
    return found;
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
        return el('td', wide.indexOf(i) >= 0 ? {'class': 'args cut', tabindex: '0', title: cell} : null, [cell]);
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
        var hog = h.length > 2 ? el('dd', {'class': h[1] + ' cut', tabindex: '0', title: h[2] + ' ' + h[3]},
          [el('b', null, [h[2]]), ' ' + h[3]]) : el('dd', {'class': h[1]}, ['n/a']);
        return [el('dt', null, [h[0]]), hog];
      })))
    ];
    if (c.filesystems.length) {
      parts.push(el('div', {'class': 'fs'}, c.filesystems.map(function (f) {
        return el('div', {'class': 'fsrow'}, [el('span', {'class': 'mp cut', tabindex: '0', title: f[0]}, [f[1]]), meter(f[2]),
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
    if (c.warnings.length) {
      card.append(el('ul', {'class': 'warnings', 'aria-label': 'hostfacts warnings'}, c.warnings.map(function (w) {
        return el('li', null, [el('i', null, ['hostfacts']), ' ' + w]);
      })));
    }
    if (c.more_warnings) {
      card.append(el('p', {'class': 'muted'}, ['and ' + c.more_warnings + ' more warning(s) in the JSON report']));
    }
    if (c.state === 'ok') {
      gauges(c).forEach(function (part) { card.append(part); });
      card.append(details(c));
    }
    return card;
  }

  function rowElement(r, rank) {
    return el('tr', {'class': 'sev-' + r[0] + ' state-' + r[1], 'data-rank': String(rank)}, r[3].map(function (cell) {
      return typeof cell === 'string' ? el('td', {'class': 'cut', tabindex: '-1', title: cell}, [cell])
        : el('td', {'class': 'num cut', tabindex: '-1', title: cell[1]}, [cell[1]]);
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
    expand.hidden = view.value === 'table';
    saveState();
    if (!redraw) { return api.drawn; }
    var ticket = ++drawing;
    var indices = [];
    for (var i = first; i < last; i++) { indices.push(shown ? shown[i] : i); }
    var drawn = view.value === 'table' ? loadRows().then(function () {
      if (ticket !== drawing) { return; }
      tbody.replaceChildren.apply(tbody, indices.map(function (k) { return rowElement(rows[k], k + 1); }));
    }) : faces(indices).then(function (views) {
      if (ticket !== drawing) { return; }
      var fragment = document.createDocumentFragment();
      views.forEach(function (c, n) { fragment.append(cardElement(c, indices[n] + 1)); });
      box.replaceChildren(fragment);
      if (expanded) { openFolds(); }
      // While this page is read, inflate the cards of the next one.
      var following = [];
      for (var k = last; k < Math.min(last + per, total); k++) { following.push(shown ? shown[k] : k); }
      setTimeout(function () { faces(following); }, 0);
    });
    api.drawn = drawn;
    return drawn;
  }

  /* The hosts that match the filter box and the severity selector (null: every host); the rows are loaded. */
  function match() {
    var text = query.value.trim().toLowerCase();
    var want = severity.value;
    if (!text && !want) {
      matching = null;
      return;
    }
    var candidates = text ? searchFor(text) : null;
    matching = [];
    for (var n = 0, count = candidates ? candidates.length : rows.length; n < count; n++) {
      var i = candidates ? candidates[n] : n;
      var r = rows[i];
      if (!want || want === r[0] || want === r[1] || (want === 'stale' && r[4])) { matching.push(i); }
    }
  }

  function filter() {
    return loadRows().then(function () {
      match();
      page = 0;
      return show(true);
    });
  }

  /* Sort by a column head's button (null: report order), ascending or descending. */
  function setSort(button, down) {
    sorted = button ? {col: parseInt(button.dataset.col, 10), down: down} : null;
    table.querySelectorAll('th').forEach(function (th) { th.setAttribute('aria-sort', 'none'); });
    if (button) { button.parentNode.setAttribute('aria-sort', down ? 'descending' : 'ascending'); }
  }

  function sortBy(button) {
    return loadRows().then(function () {
      var col = parseInt(button.dataset.col, 10);
      setSort(button, Boolean(sorted && sorted.col === col && !sorted.down));
      page = 0;
      return show(true);
    });
  }

  /* Every details fold of the page shown open (their tables are drawn by the toggle listener below). */
  function openFolds() {
    box.querySelectorAll('details').forEach(function (d) { d.open = expanded; });
  }

  function setExpanded(open) {
    expanded = open;
    expand.dataset.open = open ? '1' : '0';
    expand.textContent = open ? 'collapse all' : 'expand all';
    openFolds();
  }

  /* The view state in the URL's hash, so that a view can be shared and comes back on reload: view, filter
   * text, severity, sort column (its name, or its place for the user's columns, which share one name) and
   * order, page (from 1), hosts per page, folds open. Only what differs from the page as written is kept.
   * replaceState changes the hash without a hashchange event and without a history entry per keystroke. */
  function sortKey(col) {
    var buttons = Array.from(table.querySelectorAll('thead button'));
    var name = buttons[col].dataset.name;
    return buttons.filter(function (b) { return b.dataset.name === name; }).length === 1 ? name : String(col);
  }

  function stateHash() {
    var state = new URLSearchParams();
    if (view.value !== 'cards') { state.set('view', view.value); }
    if (query.value) { state.set('q', query.value); }
    if (severity.value) { state.set('sev', severity.value); }
    if (sorted) {
      state.set('sort', sortKey(sorted.col));
      state.set('order', sorted.down ? 'desc' : 'asc');
    }
    if (page) { state.set('page', String(page + 1)); }
    if (size.value !== defaultSize) { state.set('size', size.value); }
    if (expanded) { state.set('expand', '1'); }
    var text = state.toString();
    return text ? '#' + text : '';
  }

  function saveState() {
    var hash = stateHash();
    if (hash !== location.hash) { history.replaceState(history.state, '', location.href.split('#')[0] + hash); }
  }

  /* A select's option by value, or the fallback when it has none (a hash edited by hand). */
  function pick(select, value, fallback) {
    select.value = value === null ? fallback : value;
    if (select.value !== value) { select.value = fallback; }
  }

  function restoreState() {
    var state = new URLSearchParams(location.hash.slice(1));
    pick(view, state.get('view'), 'cards');
    query.value = state.get('q') || '';
    pick(severity, state.get('sev'), '');
    pick(size, state.get('size'), defaultSize);
    // The view chosen shows at once; the order, the matches and the page wait for the rows.
    table.hidden = view.value !== 'table';
    box.hidden = expand.hidden = view.value === 'table';
    return loadRows().then(function () {
      var key = state.get('sort');
      var button = key === null ? null : table.querySelector('thead button[data-name="' + CSS.escape(key) + '"]') ||
        table.querySelector('thead button[data-col="' + CSS.escape(key) + '"]');
      setSort(button, state.get('order') === 'desc');
      match();
      page = Math.max(0, (parseInt(state.get('page'), 10) || 1) - 1);
      setExpanded(state.get('expand') === '1');
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
      api.drawn = folds([rank - 1]).then(function (views) {
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
  expand.addEventListener('click', function () {
    setExpanded(!expanded);
    saveState();
  });
  // A hash typed or pasted into the address bar of an open page (the page's own changes fire no event).
  window.addEventListener('hashchange', function () { api.drawn = restoreState(); });
  // Inflate the rows and the first block once the first page is on screen, so that the first click does not
  // wait; a page opened with a view in its hash shows that view.
  var opened = location.hash.length > 1 ? restoreState() : show(false);
  api.drawn = Promise.all([opened, loadRows(), data.total ? faces([0]) : null]).then(function () {
    document.body.dataset.ready = '1';
  });
})();
