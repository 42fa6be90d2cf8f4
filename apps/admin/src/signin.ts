import { ApiError, errorText, request } from './api';
import { h, replaceChildren } from './dom';

/**
 * The sign-in form. It is all the page shows when a token is required: no
 * event request is made until the server has set the session cookie.
 */
export function showSignIn(root: HTMLElement, onSignedIn: () => void, message?: string): void {
  const token = h('input', {
    id: 'signin-token',
    type: 'password',
    autocomplete: 'current-password',
    required: true,
    'data-testid': 'signin-token',
  });
  const error = h(
    'p',
    { class: 'status error', role: 'alert', 'data-testid': 'signin-error', hidden: !message },
    message ?? '',
  );
  const submit = h('button', { type: 'submit', class: 'primary', 'data-testid': 'signin-submit' }, 'Sign in');
  const form = h(
    'form',
    { class: 'signin', 'aria-labelledby': 'signin-title', 'data-testid': 'signin-form' },
    h('h1', { id: 'signin-title' }, 'qmdl-ledger audit log'),
    h('p', { class: 'muted' }, 'This device requires the admin token.'),
    h('label', { for: 'signin-token' }, 'Admin token'),
    token,
    submit,
    error,
  );
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    submit.disabled = true;
    error.hidden = true;
    request('/api/auth/session', { method: 'POST', body: JSON.stringify({ token: token.value }) })
      .then(() => onSignedIn())
      .catch((err: unknown) => {
        submit.disabled = false;
        error.hidden = false;
        replaceChildren(
          error,
          err instanceof ApiError && err.status === 401
            ? 'That token is not right.'
            : `Could not sign in: ${errorText(err)}`,
        );
        token.select();
      });
  });
  replaceChildren(root, h('main', { class: 'signin-page' }, form));
  token.focus();
}
