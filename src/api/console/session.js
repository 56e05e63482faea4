// What both console pages share: the API key, the sign-in form, REST calls and the error line.
window.meetmeSession = (() => {
  'use strict';
  const $ = (id) => document.getElementById(id);
  const state = { key: sessionStorage.getItem('meetme-key') || '' };

  // The form is built here so that the pages do not each carry a copy of it.
  const form = document.createElement('form');
  form.id = 'login';
  form.setAttribute('aria-label', 'Sign in');
  form.innerHTML =
    '<label for="key">API key</label>' +
    '<input id="key" name="key" type="password" autocomplete="off" required data-testid="api-key" />' +
    '<button type="submit" data-testid="sign-in">Sign in</button>';
  const error = document.createElement('p');
  error.id = 'error';
  error.setAttribute('role', 'alert');
  error.dataset.testid = 'error';
  error.hidden = true;
  document.querySelector('header').after(form, error);

  function showError(message) {
    error.textContent = message;
    error.hidden = !message;
  }

  async function api(method, path, body) {
    const response = await fetch(`/api/v1${path}`, {
      method,
      headers: { authorization: `Bearer ${state.key}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    if (!response.ok) {
      let message = `${response.status} ${response.statusText}`;
      try {
        const data = await response.json();
        if (data.error) message = data.error.message || data.error.code;
      } catch (_) {
        /* not JSON */
      }
      throw new Error(message);
    }
    return response.status === 204 ? null : response.json();
  }

  /** Signs in with the stored key, or when the form is sent: `probe` is a GET the key must pass; `main` is shown after. */
  function start({ probe, main, onSignedIn }) {
    async function signIn(key) {
      state.key = key;
      try {
        await api('GET', probe);
      } catch (failure) {
        showError(`cannot sign in: ${failure.message}`);
        return;
      }
      sessionStorage.setItem('meetme-key', key);
      showError('');
      form.hidden = true;
      $(main).hidden = false;
      await onSignedIn();
    }
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      void signIn($('key').value);
    });
    if (state.key) void signIn(state.key);
  }

  /** Back to the form, when the key stops working. */
  function signOut(message, main) {
    showError(message);
    form.hidden = false;
    $(main).hidden = true;
  }

  return { api, showError, start, signOut, key: () => state.key };
})();
