// The passkeys page (/passkeys): runs the browser half of WebAuthn ceremonies against tresor's
// JSON API. A sign-in opens a cookie session (?session=cookie); adding a passkey uses that
// session's access token, fetched with the CSRF cookie and kept in this page's memory only.
// `window.tresorPasskeys` exposes the same steps, and the second step of a password sign-in, to
// other scripts of this origin.
(function () {
  'use strict';

  function csrfToken() {
    var match = /(?:^|; )__Host-tresor_csrf=([^;]*)/.exec(document.cookie);
    return match ? decodeURIComponent(match[1]) : null;
  }

  async function api(path, body, accessToken) {
    var headers = { 'content-type': 'application/json' };
    if (accessToken) headers.authorization = 'Bearer ' + accessToken;
    var response = await fetch(path, { method: 'POST', headers: headers, body: JSON.stringify(body || {}) });
    var answer = response.status === 204 ? null : await response.json().catch(function () { return null; });
    return { status: response.status, body: answer };
  }

  // The cookie session's access token (null when signed out).
  async function accessToken() {
    var csrf = csrfToken();
    if (!csrf) return null;
    var response = await fetch('/v1/auth/refresh?session=cookie', { method: 'POST', headers: { 'x-csrf-token': csrf } });
    if (!response.ok) return null;
    return (await response.json()).access_token;
  }

  async function create(publicKey) {
    var options = PublicKeyCredential.parseCreationOptionsFromJSON(publicKey);
    return (await navigator.credentials.create({ publicKey: options })).toJSON();
  }

  async function get(publicKey) {
    var options = PublicKeyCredential.parseRequestOptionsFromJSON(publicKey);
    return (await navigator.credentials.get({ publicKey: options })).toJSON();
  }

  // start → the authenticator → finish; the finish's answer, with the request it sent. `extra`
  // joins the finish's body (its `mfa_token` the start's too).
  async function ceremony(startPath, finishPath, token, ask, extra) {
    var start = await api(startPath, extra && extra.mfa_token ? { mfa_token: extra.mfa_token } : null, token);
    if (start.status !== 200) return start;
    var credential = await ask(start.body.publicKey);
    var request = Object.assign({ ceremony: start.body.ceremony, credential: credential }, extra || {});
    var finish = await api(finishPath, request, token);
    finish.request = request;
    return finish;
  }

  var passkeys = {
    register: function (token, name) {
      return ceremony('/v1/mfa/passkeys/register/start', '/v1/mfa/passkeys/register/finish', token, create,
        name ? { name: name } : null);
    },
    signIn: function (mode) {
      var finish = '/v1/auth/passkey/finish' + (mode === 'cookie' ? '?session=cookie' : '');
      return ceremony('/v1/auth/passkey/start', finish, null, get);
    },
    stepUp: function (token) {
      return ceremony('/v1/mfa/step-up/passkey/start', '/v1/mfa/step-up/passkey/finish', token, get);
    },
    // The second step of a password sign-in that answered {mfa_required, mfa_token}.
    secondStep: function (mfaToken, mode) {
      var finish = '/v1/auth/mfa/passkey/finish' + (mode === 'cookie' ? '?session=cookie' : '');
      return ceremony('/v1/auth/mfa/passkey/start', finish, null, get, { mfa_token: mfaToken });
    },
    accessToken: accessToken,
    create: create,
    get: get,
  };
  window.tresorPasskeys = passkeys;

  function show(state, text) {
    var element = document.getElementById('state');
    element.hidden = false;
    element.dataset.state = state;
    element.className = 'state state-' + state;
    element.textContent = text;
  }

  function failure(answer, fallback) {
    return (answer.body && answer.body.detail) || fallback;
  }

  document.addEventListener('DOMContentLoaded', function () {
    var signIn = document.getElementById('passkey-sign-in');
    var add = document.getElementById('passkey-add');
    if (!signIn || !add) return;
    if (!window.PublicKeyCredential || !PublicKeyCredential.parseCreationOptionsFromJSON) {
      show('invalid', 'This browser cannot use passkeys.');
      return;
    }
    signIn.addEventListener('click', async function () {
      try {
        var answer = await passkeys.signIn('cookie');
        if (answer.status === 200) {
          show('done', 'You are signed in with your passkey.');
          // Back to the staff console when it sent us; no other destination is followed.
          if (new URLSearchParams(window.location.search).get('next') === 'console') window.location.assign('/console');
        } else {
          show('invalid', failure(answer, 'The sign-in did not work.'));
        }
      } catch (error) {
        show('invalid', 'No passkey was used (' + error.name + ').');
      }
    });
    add.addEventListener('click', async function () {
      try {
        var token = await accessToken();
        if (!token) { show('invalid', 'Sign in first.'); return; }
        var answer = await passkeys.register(token, document.getElementById('passkey-name').value.trim());
        if (answer.status === 201) {
          show('done', 'The passkey “' + answer.body.name + '” was added.');
          document.getElementById('state').dataset.passkeyId = answer.body.id;
        } else {
          show('invalid', failure(answer, 'The passkey was not added.'));
        }
      } catch (error) {
        show('invalid', 'No passkey was made (' + error.name + ').');
      }
    });
  });
})();
