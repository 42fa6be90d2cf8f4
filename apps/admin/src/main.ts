import './style.css';
import { errorText, getJson, onUnauthorized } from './api';
import { startApp } from './app';
import { h, replaceChildren } from './dom';
import { showSignIn } from './signin';
import type { AuthStatus } from './types';

const root = document.getElementById('app') as HTMLElement;
let stop: (() => void) | undefined;

function signedOut(message?: string): void {
  stop?.();
  stop = undefined;
  showSignIn(root, () => void boot(), message);
}

/** Asks whether a token is needed before any data request is made. */
async function boot(): Promise<void> {
  let status: AuthStatus;
  try {
    status = await getJson<AuthStatus>('/api/auth/status');
  } catch (err) {
    replaceChildren(
      root,
      h(
        'main',
        { class: 'signin-page' },
        h('p', { class: 'status error', role: 'alert' }, `The server did not answer: ${errorText(err)}`),
        h('button', { type: 'button', onclick: () => void boot() }, 'Try again'),
      ),
    );
    return;
  }
  if (status.required && !status.authenticated) {
    signedOut();
    return;
  }
  stop?.();
  stop = startApp(root, { authRequired: status.required, onSignedOut: signedOut });
}

onUnauthorized(() => {
  if (stop) signedOut('Your session ended. Sign in again.');
});
void boot();
