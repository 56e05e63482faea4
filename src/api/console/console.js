// The moderator console: plain JavaScript against the REST API and the event stream.
(() => {
  'use strict';
  const session = window.meetmeSession;
  const { api, showError } = session;
  const state = { conferences: new Map(), socket: null, seq: 0 };
  const $ = (id) => document.getElementById(id);

  async function act(method, path) {
    try {
      showError('');
      await api(method, path);
    } catch (error) {
      showError(error.message);
    }
  }

  function render() {
    const main = $('conferences');
    main.replaceChildren();
    for (const conference of state.conferences.values()) {
      const node = $('conference-template').content.firstElementChild.cloneNode(true);
      node.dataset.number = conference.number;
      node.querySelector('.number').textContent = conference.number;
      node.querySelector('.name').textContent = conference.name;
      const badges = [conference.mixer, conference.locked ? 'locked' : '', conference.recording ? 'recording' : ''].filter(Boolean);
      node
        .querySelector('.badges')
        .replaceChildren(...badges.map((b) => Object.assign(document.createElement('span'), { className: 'badge', textContent: b })));
      for (const button of node.querySelectorAll('[data-action]')) {
        const action = button.dataset.action;
        button.setAttribute('aria-label', `${button.textContent} conference ${conference.number}`);
        button.dataset.testid = `${action}-${conference.number}`;
        const path = {
          'mute-all': 'mute-all',
          'unmute-all': 'unmute-all',
          lock: 'lock',
          unlock: 'unlock',
          'record-start': 'recording/start',
          'record-stop': 'recording/stop',
          end: 'end',
        }[action];
        button.addEventListener('click', () => act('POST', `/conferences/${conference.number}/${path}`));
      }
      const body = node.querySelector('tbody');
      for (const p of conference.participants) {
        const row = document.createElement('tr');
        row.dataset.participant = p.id;
        // Browsers have no number: their channel id names them.
        const tag = p.callerIdNumber || p.channelId;
        row.dataset.testid = `participant-${tag}`;
        const who = document.createElement('td');
        who.textContent = p.callerIdNumber ? `${p.callerIdName} <${p.callerIdNumber}>` : `${p.callerIdName} (browser)`;
        const role = document.createElement('td');
        role.textContent = p.role + (p.marked ? ' (marked)' : '');
        const status = document.createElement('td');
        status.textContent = [p.talking ? 'talking' : '', p.muted ? 'muted' : ''].filter(Boolean).join(', ') || 'listening';
        status.className = p.talking ? 'talking' : '';
        status.dataset.testid = `status-${tag}`;
        const buttons = document.createElement('td');
        const mute = document.createElement('button');
        mute.textContent = p.muted ? 'Unmute' : 'Mute';
        mute.dataset.testid = `${p.muted ? 'unmute' : 'mute'}-${tag}`;
        mute.setAttribute('aria-label', `${mute.textContent} ${p.callerIdName}`);
        mute.addEventListener('click', () =>
          act('POST', `/conferences/${conference.number}/participants/${p.id}/${p.muted ? 'unmute' : 'mute'}`),
        );
        const kick = document.createElement('button');
        kick.textContent = 'Kick';
        kick.dataset.testid = `kick-${tag}`;
        kick.setAttribute('aria-label', `Kick ${p.callerIdName}`);
        kick.addEventListener('click', () => act('POST', `/conferences/${conference.number}/participants/${p.id}/kick`));
        buttons.append(mute, kick);
        row.append(who, role, status, buttons);
        body.append(row);
      }
      main.append(node);
    }
  }

  /** A join link for a conference: shown to hand out, or opened here to join from this browser. */
  async function joinLink(here) {
    const number = $('join-number').value.trim();
    try {
      showError('');
      const link = await api('POST', `/conferences/${encodeURIComponent(number)}/join-links`, here ? { name: 'Console' } : {});
      if (here) {
        window.open(link.url, '_blank');
        return;
      }
      $('join-url').value = link.url;
      $('join-expires').textContent = `valid until ${new Date(link.expiresAt).toLocaleTimeString()}`;
      $('join-output').hidden = false;
    } catch (error) {
      showError(error.message);
    }
  }

  function apply(event) {
    const c = state.conferences.get(event.number);
    switch (event.type) {
      case 'snapshot':
        state.conferences = new Map(event.conferences.map((x) => [x.number, x]));
        break;
      case 'conference.started':
        state.conferences.set(event.conference.number, event.conference);
        break;
      case 'conference.ended':
        state.conferences.delete(event.number);
        break;
      case 'conference.locked':
      case 'conference.unlocked':
        if (c) c.locked = event.type === 'conference.locked';
        break;
      case 'recording.started':
      case 'recording.stopped':
        if (c) c.recording = event.type === 'recording.started' ? event.name : null;
        break;
      case 'participant.joined':
        // A conference's first caller is in its conference.started snapshot too: replace, never add twice.
        if (c) c.participants = [...c.participants.filter((p) => p.id !== event.participant.id), event.participant];
        break;
      case 'participant.left':
        if (c) c.participants = c.participants.filter((p) => p.id !== event.participantId);
        break;
      default: {
        const p = c && c.participants.find((x) => x.id === event.participantId);
        if (!p) break;
        if (event.type === 'participant.muted' || event.type === 'participant.unmuted') p.muted = event.type === 'participant.muted';
        if (event.type === 'participant.talking') p.talking = event.talking;
      }
    }
    render();
  }

  function connect() {
    const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
    const socket = new WebSocket(`${scheme}://${location.host}/api/v1/events?key=${encodeURIComponent(session.key())}`);
    state.socket = socket;
    state.seq = 0;
    socket.onmessage = (message) => {
      const event = JSON.parse(message.data);
      if (event.seq !== state.seq + 1) {
        // A gap: ask for a fresh snapshot rather than show a wrong picture.
        socket.send(JSON.stringify({ type: 'subscribe', conference: null }));
      }
      state.seq = event.seq;
      if (event.type === 'error') return showError(event.error.message);
      apply(event);
      $('status').textContent = 'live';
    };
    socket.onclose = async () => {
      $('status').textContent = 'disconnected';
      // A refused key is answered 401 before the upgrade, which a browser sees only as a failed socket: ask the API.
      const refused = await fetch('/api/v1/conferences', { headers: { authorization: `Bearer ${session.key()}` } }).then(
        (response) => response.status === 401,
        () => false,
      );
      if (refused) {
        session.signOut('the API key was refused', 'conferences');
        $('join').hidden = true;
        return;
      }
      setTimeout(connect, 2000);
    };
  }

  $('join').addEventListener('submit', (event) => {
    event.preventDefault();
    void joinLink(event.submitter && event.submitter.id === 'join-here');
  });
  session.start({
    probe: '/conferences',
    main: 'conferences',
    onSignedIn: () => {
      $('join').hidden = false;
      connect();
    },
  });
})();
