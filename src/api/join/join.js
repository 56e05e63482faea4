// The join page: plain JavaScript. The microphone goes to the app over WebRTC (PCMU), the signalling over
// a WebSocket on the same origin, authorised by the link's token.
(() => {
  'use strict';
  const $ = (id) => document.getElementById(id);
  const token = location.pathname.split('/')[2] || '';
  const state = { socket: null, pc: null, stream: null, self: null, muted: false, people: new Map(), done: false };

  // What a caller would hear, as text.
  const PROMPTS = {
    'conf-getpin': 'Enter the conference PIN',
    'conf-invalidpin': 'That PIN is not right',
    'conf-locked': 'The conference is locked or full, or not open now',
    'conf-onlyperson': 'You are the only person in the conference',
    'conf-kicked': 'You were removed from the conference',
    'conf-invalid': 'There is no such conference',
  };
  const say = (media) => media.map((m) => PROMPTS[m.replace(/^sound:/, '')]).filter(Boolean);

  function notice(text) {
    $('notice').textContent = text;
    $('notice').hidden = !text;
  }
  function status(text) {
    $('status').textContent = text;
  }

  function renderPeople() {
    const list = $('participants');
    list.replaceChildren(
      ...[...state.people.values()].map((p) => {
        const item = document.createElement('li');
        item.textContent = p.id === state.self ? `${p.name} (you)` : p.name;
        item.className = [p.talking ? 'talking' : '', p.muted ? 'muted' : ''].filter(Boolean).join(' ');
        item.dataset.testid = p.id === state.self ? 'participant-self' : 'participant';
        if (p.talking) item.setAttribute('aria-label', `${item.textContent}, talking`);
        return item;
      }),
    );
    const me = state.people.get(state.self);
    if (me) {
      state.muted = me.muted;
      $('mute').textContent = me.muted ? 'Unmute' : 'Mute';
      $('mute').disabled = false;
    }
  }

  function meter(stream) {
    const context = new AudioContext();
    const analyser = context.createAnalyser();
    analyser.fftSize = 512;
    context.createMediaStreamSource(stream).connect(analyser);
    const samples = new Float32Array(analyser.fftSize);
    const tick = () => {
      if (state.done) return void context.close();
      analyser.getFloatTimeDomainData(samples);
      let sum = 0;
      for (const s of samples) sum += s * s;
      const db = 10 * Math.log10(sum / samples.length + 1e-12);
      const level = Math.max(0, Math.min(100, Math.round(((db + 60) / 60) * 100)));
      $('mic-bar').style.width = `${level}%`;
      $('mic-level').setAttribute('aria-valuenow', String(level));
      requestAnimationFrame(tick);
    };
    tick();
  }

  function send(message) {
    if (state.socket && state.socket.readyState === WebSocket.OPEN) state.socket.send(JSON.stringify(message));
  }

  function finish(text) {
    if (state.done) return;
    state.done = true;
    status('left');
    if (text) notice(text);
    $('mute').disabled = true;
    $('leave').disabled = true;
    $('pin').hidden = true;
    if (state.stream) for (const track of state.stream.getTracks()) track.stop();
    if (state.pc) state.pc.close();
  }

  async function start(hello) {
    $('conference').textContent = hello.conference;
    document.title = `Conference ${hello.conference}`;
    status('asking for the microphone…');
    try {
      state.stream = await navigator.mediaDevices.getUserMedia({ audio: true, video: false });
    } catch (error) {
      finish(`The microphone is needed to join: ${error.message}`);
      send({ type: 'leave' });
      return;
    }
    meter(state.stream);
    const pc = new RTCPeerConnection({ iceServers: hello.iceServers });
    state.pc = pc;
    const [track] = state.stream.getAudioTracks();
    const transceiver = pc.addTransceiver(track, { direction: 'sendrecv', streams: [state.stream] });
    // The app mixes G.711 u-law: offering only PCMU keeps the offer small and the choice certain.
    const capabilities = RTCRtpReceiver.getCapabilities && RTCRtpReceiver.getCapabilities('audio');
    const pcmu = capabilities ? capabilities.codecs.filter((c) => c.mimeType.toLowerCase() === 'audio/pcmu') : [];
    if (pcmu.length > 0 && transceiver.setCodecPreferences) transceiver.setCodecPreferences(pcmu);
    pc.ontrack = (event) => {
      $('remote').srcObject = event.streams[0] || new MediaStream([event.track]);
    };
    pc.onicecandidate = (event) => {
      if (event.candidate && event.candidate.candidate) send({ type: 'candidate', candidate: event.candidate.toJSON() });
    };
    pc.onconnectionstatechange = () => {
      if (pc.connectionState === 'connected') status('connected');
      if (pc.connectionState === 'failed') finish('The audio connection failed. Check the network (a firewall may block UDP).');
    };
    await pc.setLocalDescription(await pc.createOffer());
    send({ type: 'offer', sdp: pc.localDescription.sdp });
    status('connecting audio…');
  }

  function onMessage(message) {
    switch (message.type) {
      case 'hello':
        void start(message);
        break;
      case 'answer':
        void state.pc.setRemoteDescription({ type: 'answer', sdp: message.sdp });
        break;
      case 'collect':
        $('pin-label').textContent = say([message.prompt])[0] || 'Enter the digits';
        $('pin').hidden = false;
        $('pin-digits').maxLength = message.maxDigits;
        $('pin-digits').value = '';
        $('pin-digits').focus();
        status('waiting for the PIN');
        break;
      case 'prompt': {
        const text = say(message.media);
        if (text.length > 0) notice(text.join('. '));
        break;
      }
      case 'joined':
        state.self = message.participantId;
        state.people = new Map(message.participants.map((p) => [p.id, p]));
        $('pin').hidden = true;
        status('in the conference');
        renderPeople();
        break;
      case 'participant.joined':
        state.people.set(message.participant.id, message.participant);
        renderPeople();
        break;
      case 'participant.left':
        state.people.delete(message.participantId);
        renderPeople();
        break;
      case 'participant.muted':
      case 'participant.unmuted': {
        const p = state.people.get(message.participantId);
        if (p) p.muted = message.type === 'participant.muted';
        renderPeople();
        break;
      }
      case 'participant.talking': {
        const p = state.people.get(message.participantId);
        if (p) p.talking = message.talking;
        renderPeople();
        break;
      }
      case 'error':
        notice(message.message);
        break;
      case 'bye':
        finish($('notice').hidden ? `You have left the conference (${message.reason}).` : '');
        break;
    }
  }

  $('pin').addEventListener('submit', (event) => {
    event.preventDefault();
    $('pin').hidden = true;
    status('checking the PIN…');
    send({ type: 'digits', digits: $('pin-digits').value.replace(/[^0-9]/g, '') });
  });
  $('mute').addEventListener('click', () => send({ type: 'mute', muted: !state.muted }));
  $('leave').addEventListener('click', () => {
    send({ type: 'leave' });
    finish('You have left the conference.');
  });

  const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
  const socket = new WebSocket(`${scheme}://${location.host}/join/${encodeURIComponent(token)}/signal`);
  state.socket = socket;
  socket.onmessage = (event) => onMessage(JSON.parse(event.data));
  socket.onclose = (event) => {
    if (event.code === 4010) finish('This link has expired. Ask the organiser for a new one.');
    else if (event.code === 4001) finish('This link does not work. Ask the organiser for a new one.');
    else finish(state.done ? '' : 'The connection to the conference server was lost.');
  };
})();
