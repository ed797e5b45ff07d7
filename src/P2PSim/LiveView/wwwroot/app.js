// P2PSim live view: draws the network the executable streams from /api/events (Server-Sent Events).
// The first event is a snapshot of the whole view; every later one a batch of changes (see LiveViewModel.cs).
'use strict';

(function () {
  const HOP_MS = 300;          // a message's spread is replayed one hop per HOP_MS (on loopback it takes a few ms)
  const HOLD_MS = 1500;        // how long a finished spread stays drawn when no other message waits
  const WAITING_MAX = 3;       // messages waiting to be played; older ones are only listed
  const SHOWN_MESSAGES = 12;
  const SHOWN_REPORTS = 60;

  const model = {
    seq: 0, dropped: 0, routing: 'flood', delivery: null,
    nodes: new Map(), links: new Map(), seedLists: new Map(),
    messages: new Map(), messageOrder: [], reports: []
  };

  const cy = cytoscape({
    container: document.getElementById('graph'),
    wheelSensitivity: 0.3,
    minZoom: 0.2,
    maxZoom: 1.5,
    style: [
      { selector: 'node', style: { 'label': 'data(label)', 'font-size': 11, 'text-valign': 'bottom', 'text-margin-y': 3, 'width': 26, 'height': 26, 'background-color': '#2f6fb3', 'border-width': 0 } },
      { selector: 'node.seed', style: { 'shape': 'round-rectangle', 'background-color': '#7b3fa0', 'width': 32, 'height': 24 } },
      { selector: 'node.origin', style: { 'background-color': '#f28e2b' } },
      { selector: 'node.reached', style: { 'background-color': '#2ca02c' } },
      { selector: 'node.crashed', style: { 'background-color': '#d62728', 'border-width': 3, 'border-color': '#7a0000' } },
      { selector: 'node.left', style: { 'background-color': '#9a9a9a' } },
      { selector: 'edge', style: { 'width': 2, 'line-color': '#8aa4bf', 'curve-style': 'bezier' } },
      { selector: 'edge.listed', style: { 'width': 1, 'line-color': '#c9c9c9', 'line-style': 'dashed' } },
      { selector: 'edge.eager', style: { 'width': 4, 'line-color': '#1f4e79' } },
      { selector: 'edge.lazy', style: { 'width': 2, 'line-color': '#7f9cc0', 'line-style': 'dotted' } },
      { selector: 'edge.lost', style: { 'line-color': '#d62728', 'line-style': 'dashed' } },
      { selector: 'edge.path', style: { 'width': 5, 'line-color': '#2ca02c', 'line-style': 'solid', 'target-arrow-shape': 'triangle', 'target-arrow-color': '#2ca02c' } },
      { selector: 'edge.path.back', style: { 'target-arrow-shape': 'none', 'source-arrow-shape': 'triangle', 'source-arrow-color': '#2ca02c' } }
    ],
    elements: []
  });

  // ---- the graph ----
  const linkId = (a, b) => 'L:' + (a < b ? a + '|' + b : b + '|' + a);
  const listedId = (seed, peer) => 'S:' + seed + '|' + peer;
  const portOf = id => id.substring(id.lastIndexOf(':') + 1);

  let layoutDue = null;
  // A count with its noun, singular for one (as Logging/Plural.cs): plural(1, 'hop') is '1 hop', plural(4, 'hop') '4 hops'.
  function plural(count, singular, pluralForm) {
    return count + ' ' + (count === 1 ? singular : (pluralForm || singular + 's'));
  }

  function relayout() {
    if (layoutDue) return;
    layoutDue = setTimeout(() => {
      layoutDue = null;
      // Peers on a ring in port order, seeds in a column to its left: the same place for a node all run long, and
      // nothing inside the ring but the peers' links (a line through a seed would look like a path through it).
      const byPort = (a, b) => Number(portOf(a.id())) - Number(portOf(b.id()));
      const peers = cy.nodes().filter(n => !n.hasClass('seed')).sort(byPort);
      const seeds = cy.nodes('.seed').sort(byPort);
      const radius = Math.max(160, peers.length * 60 / (2 * Math.PI));
      const at = new Map();
      peers.forEach((n, i) => {
        const angle = -Math.PI / 2 + 2 * Math.PI * i / Math.max(1, peers.length);
        at.set(n.id(), { x: radius * Math.cos(angle), y: radius * Math.sin(angle) });
      });
      const spacing = Math.min(90, (2 * radius) / Math.max(1, seeds.length - 1));
      seeds.forEach((n, i) => at.set(n.id(), { x: -radius - 170, y: (i - (seeds.length - 1) / 2) * spacing }));
      cy.layout({ name: 'preset', fit: true, padding: 40, positions: n => at.get(n.id()) }).run();
    }, 300);
  }

  function drawNode(n) {
    const classes = [n.role, n.state];
    let el = cy.getElementById(n.id);
    const label = n.role === 'seed'
      ? 'seed ' + n.port + ' · ' + (model.seedLists.get(n.id) || []).length + ' listed'
      : String(n.port) + (n.state === 'crashed' ? ' ✖' : '');
    if (el.empty()) {
      el = cy.add({ group: 'nodes', data: { id: n.id, label: label } });
      relayout();
    } else {
      el.data('label', label);
    }
    el.removeClass('seed peer up crashed left');
    el.addClass(classes.join(' '));
    if (n.state === 'crashed') el.removeClass('origin reached');
  }

  function ensureNode(id) {
    if (!model.nodes.has(id)) {
      const port = Number(portOf(id));
      model.nodes.set(id, { id, role: 'peer', port, state: 'up', originated: 0, received: 0, duplicates: 0, deadReports: 0 });
      drawNode(model.nodes.get(id));
    }
  }

  function drawLink(l) {
    const id = linkId(l.a, l.b);
    if (l.state === 'gone') { model.links.delete(id); cy.getElementById(id).remove(); return; }
    model.links.set(id, l);
    ensureNode(l.a); ensureNode(l.b);
    let el = cy.getElementById(id);
    if (el.empty()) el = cy.add({ group: 'edges', data: { id, source: l.a, target: l.b } });
    el.toggleClass('lost', l.state === 'lost');
    // Tree or spanning routing: tree links (a peer pushes messages over them) and lazy ones (ids announced only).
    el.toggleClass('eager', l.tree === 'eager');
    el.toggleClass('lazy', l.tree === 'lazy');
  }

  // The link a receipt came over, drawn as an arrow towards the receiver (an edge's arrow is at its target: b).
  function drawPath(r) {
    const edge = cy.getElementById(linkId(r.from, r.node));
    edge.addClass('path');
    edge.toggleClass('back', edge.nonempty() && edge.data('target') !== r.node);
  }

  function drawSeedList(list) {
    const before = new Set(model.seedLists.get(list.seed) || []);
    model.seedLists.set(list.seed, list.peers);
    ensureNode(list.seed);
    for (const peer of list.peers) {
      ensureNode(peer);
      if (!before.delete(peer) && cy.getElementById(listedId(list.seed, peer)).empty()) {
        cy.add({ group: 'edges', classes: 'listed', data: { id: listedId(list.seed, peer), source: list.seed, target: peer } });
      }
    }
    for (const gone of before) cy.getElementById(listedId(list.seed, gone)).remove();
    if (model.nodes.has(list.seed)) drawNode(model.nodes.get(list.seed));
  }

  // ---- messages, replayed hop by hop ----
  // One message at a time: its origin, then the peers it reached and the links it came over, one hop per HOP_MS. A
  // finished spread stays drawn for HOLD_MS (less when the next message waits), then the graph shows the overlay alone
  // (and the broadcast tree, which the green arrows would cover) until the next message comes.
  const waiting = [];
  let playing = null;   // { id, hop, timer, doneAt }

  function addMessage(m) {
    let msg = model.messages.get(m.id);
    if (!msg) {
      msg = { id: m.id, text: m.text, origin: m.origin, at: m.at, receipts: (m.receipts || []).slice() };
      model.messages.set(m.id, msg);
      model.messageOrder.push(m.id);
      while (model.messageOrder.length > 30) model.messages.delete(model.messageOrder.shift());
      waiting.push(m.id);
      while (waiting.length > WAITING_MAX) waiting.shift();
      schedule();
    } else if (m.at) {
      msg.at = m.at;
    }
    return msg;
  }

  // The next waiting message plays now, unless one is still playing (it moves on when done).
  function schedule() {
    if (!playing) playNext();
  }

  function playNext() {
    if (playing) clearTimeout(playing.timer);
    let id;
    do { id = waiting.shift(); } while (id !== undefined && !model.messages.has(id));
    if (id === undefined) { fade(); return; }
    playing = { id, hop: 0, timer: null, doneAt: undefined };
    step();
  }

  // Nothing waits: the last spread is taken off the graph; the line above the list still names it.
  function fade() {
    const msg = playing && model.messages.get(playing.id);
    cy.elements().removeClass('origin reached path back');
    if (msg) {
      document.getElementById('now-playing').textContent = 'Last message from ' + portOf(msg.origin) + ' [' + msg.id + '] reached '
        + plural(msg.receipts.length, 'peer') + '; waiting for the next one';
    }
    playing = null;
  }

  // Draws the playing message as far as its replay got (all of it once finished); returns its last hop, or null.
  function draw() {
    cy.elements().removeClass('origin reached path back');
    const msg = playing && model.messages.get(playing.id);
    if (!msg) return null;
    cy.getElementById(msg.origin).addClass('origin');
    let last = 0, reached = 0;
    for (const r of msg.receipts) {
      last = Math.max(last, r.hop);
      if (playing.doneAt !== undefined || r.hop <= playing.hop) {
        reached++;
        const node = cy.getElementById(r.node);
        if (!node.hasClass('crashed')) node.addClass('reached');
        drawPath(r);
      }
    }
    document.getElementById('now-playing').textContent = 'Message from ' + portOf(msg.origin) + ' [' + msg.id + ']: '
      + (playing.doneAt !== undefined
        ? 'reached ' + plural(reached, 'peer') + ' in ' + plural(last, 'hop')
        : 'hop ' + playing.hop + ', reached ' + reached + ' of ' + msg.receipts.length + ' so far');
    return last;
  }

  function step() {
    const last = draw();
    if (last === null) { playing = null; playNext(); return; }
    if (playing.hop > last) {
      playing.doneAt = Date.now();
      draw();
      playing.timer = setTimeout(playNext, waiting.length > 0 ? HOP_MS : HOLD_MS);
      return;
    }
    playing.hop++;
    playing.timer = setTimeout(step, HOP_MS);
  }

  function addReceipt(messageId, r) {
    const msg = model.messages.get(messageId);
    if (!msg) return;
    msg.receipts.push(r);
    // A receipt of the message on show after its replay ended: drawn at once.
    if (playing && playing.id === messageId && playing.doneAt !== undefined) draw();
  }

  // ---- the side panel ----
  let panelDue = false;
  function renderPanel() {
    if (panelDue) return;
    panelDue = true;
    requestAnimationFrame(() => {
      panelDue = false;
      const d = model.delivery;
      const flood = model.routing === 'flood';
      let eager = 0, lazy = 0;
      for (const l of model.links.values()) { if (l.tree === 'eager') eager++; else if (l.tree === 'lazy') lazy++; }
      document.getElementById('routing').textContent = 'routing: ' + model.routing
        + (flood ? '' : ' (' + plural(eager, 'tree link') + ', ' + lazy + ' lazy)');
      document.getElementById('tree-meaning').textContent = flood
        ? 'links the latest message first arrived over (flood routing: no broadcast tree)'
        : 'links the latest message first arrived over';
      for (const key of document.querySelectorAll('.tree-key')) key.hidden = flood;
      document.getElementById('delivery').textContent = d
        ? 'delivery so far: ' + d.delivered + ' of ' + d.expected + ' expected receipts (' + (d.ratio * 100).toFixed(1) + ' %), ' + plural(d.messages, 'message')
        : '';
      const dropped = document.getElementById('dropped');
      dropped.textContent = model.dropped > 0 ? plural(model.dropped, 'view update') + ' dropped (the view fell behind; the network did not)' : 'no view updates dropped';
      dropped.classList.toggle('some', model.dropped > 0);

      const listing = new Map();
      for (const [seed, peers] of model.seedLists) for (const p of peers) listing.set(p, (listing.get(p) || 0) + 1);
      const rows = [...model.nodes.values()].sort((a, b) => (a.role === b.role ? a.port - b.port : a.role === 'seed' ? -1 : 1));
      const body = document.querySelector('#nodes tbody');
      body.replaceChildren(...rows.map(n => {
        const tr = document.createElement('tr');
        tr.className = n.state;
        tr.dataset.node = n.id;
        const lists = n.role === 'seed' ? (model.seedLists.get(n.id) || []).length : (listing.get(n.id) || 0);
        const cells = n.role === 'seed'
          ? [n.id, 'seed', n.state, '-', '-', '-', lists]
          : [n.id, 'peer', n.state + (n.deadReports ? ' (declared dead by ' + n.deadReports + ')' : ''), n.originated, n.received, n.duplicates, lists];
        for (const c of cells) { const td = document.createElement('td'); td.textContent = c; tr.appendChild(td); }
        return tr;
      }));

      const messages = document.getElementById('messages');
      messages.replaceChildren(...model.messageOrder.slice(-SHOWN_MESSAGES).reverse().map(id => {
        const m = model.messages.get(id);
        const li = document.createElement('li');
        li.dataset.receipts = m.receipts.length;
        const hops = m.receipts.reduce((h, r) => Math.max(h, r.hop), 0);
        li.textContent = '[' + m.id + '] from ' + portOf(m.origin) + ': reached ' + plural(m.receipts.length, 'peer') + ' in ' + plural(hops, 'hop');
        return li;
      }));

      const reports = document.getElementById('reports');
      reports.replaceChildren(...model.reports.slice(-SHOWN_REPORTS).reverse().map(r => {
        const li = document.createElement('li');
        li.className = r.kind;
        li.textContent = new Date(r.at).toLocaleTimeString() + ' ' + r.text;
        return li;
      }));
    });
  }

  // ---- snapshot and batches ----
  function applySnapshot(s) {
    cy.elements().remove();
    model.nodes.clear(); model.links.clear(); model.seedLists.clear(); model.messages.clear();
    model.messageOrder = []; model.reports = s.reports.slice();
    waiting.length = 0;
    if (playing && playing.timer) clearTimeout(playing.timer);
    playing = null;
    model.seq = s.seq; model.dropped = s.dropped; model.routing = s.routing; model.delivery = s.delivery;
    for (const n of s.nodes) model.nodes.set(n.id, n);
    for (const l of s.seedLists) model.seedLists.set(l.seed, []);
    for (const n of s.nodes) drawNode(n);
    for (const l of s.links) drawLink(l);
    for (const l of s.seedLists) drawSeedList(l);
    for (const m of s.messages) addMessage(m); // with its receipts
    renderPanel();
  }

  function applyBatch(b) {
    if (b.seq !== model.seq + 1) { reconnect(); return; } // a gap: start again from a snapshot
    model.seq = b.seq; model.dropped = b.dropped; model.delivery = b.delivery;
    for (const c of b.changes) {
      switch (c.t) {
        case 'node': model.nodes.set(c.node.id, c.node); drawNode(c.node); break;
        case 'link': drawLink(c.link); break;
        case 'seedList': drawSeedList(c.list); break;
        case 'message': addMessage(c); break;
        case 'receipt': addReceipt(c.message, c.receipt); break;
        case 'report': model.reports.push(c.report); if (model.reports.length > 200) model.reports.shift(); break;
      }
    }
    renderPanel();
  }

  const status = document.getElementById('status');
  let source = null;
  function connect() {
    source = new EventSource('/api/events');
    source.addEventListener('snapshot', e => { status.textContent = 'live'; status.className = 'status live'; applySnapshot(JSON.parse(e.data)); });
    source.addEventListener('batch', e => applyBatch(JSON.parse(e.data)));
    source.onerror = () => { status.textContent = 'connection lost; retrying (is the demo still running?)'; status.className = 'status lost'; };
  }
  function reconnect() { source.close(); connect(); }
  connect();

  // For tests and the curious (browser console): the model and the graph.
  window.p2psim = { model, cy, plural };
})();
