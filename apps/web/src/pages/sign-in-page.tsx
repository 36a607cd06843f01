import type { AdminMe } from '@paidflow/contracts';
import { type FormEvent, useState } from 'react';
import { errorCode, errorMessage } from '../api/errors.ts';
import { ErrorBox } from '../components/feedback.tsx';
import { trpc } from '../trpc.ts';

export function SignInPage({
  onSignedIn,
  loadError,
}: {
  onSignedIn: (me: AdminMe) => void;
  loadError?: unknown;
}) {
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const login = trpc.auth.login.useMutation({ onSuccess: onSignedIn });

  function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    login.mutate({ email, password });
  }

  const failure = login.error
    ? errorCode(login.error) === 'UNAUTHORIZED' || errorCode(login.error) === 'BAD_REQUEST'
      ? 'Wrong email or password.'
      : errorMessage(login.error)
    : null;

  return (
    <main className="signin">
      <form
        className="signin__card"
        onSubmit={submit}
        noValidate
        aria-describedby={failure ? 'signin-error' : undefined}
      >
        <h1>Paidflow</h1>
        <p className="muted">Sign in to watch paid orders move through the pipeline.</p>
        {loadError ? (
          <ErrorBox title="The server cannot be reached">{errorMessage(loadError)}</ErrorBox>
        ) : null}
        {failure ? (
          <div id="signin-error" className="alert alert--danger" role="alert">
            {failure}
          </div>
        ) : null}
        <div className="field">
          <label htmlFor="signin-email">Email</label>
          <input
            id="signin-email"
            className="input"
            type="email"
            name="email"
            autoComplete="username"
            required
            value={email}
            onChange={(event) => setEmail(event.target.value)}
          />
        </div>
        <div className="field">
          <label htmlFor="signin-password">Password</label>
          <input
            id="signin-password"
            className="input"
            type="password"
            name="password"
            autoComplete="current-password"
            required
            value={password}
            onChange={(event) => setPassword(event.target.value)}
          />
        </div>
        <button
          className="button button--primary"
          type="submit"
          disabled={login.isPending || !email || !password}
        >
          {login.isPending ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
    </main>
  );
}
