import { useEffect } from 'preact/hooks';
import { ErrorAlert, Status, useTask } from '../components/messages';
import { signIn, type Session } from '../session';

interface Props {
  /** A token from an `engram console` link, signed in with at once (a new object for each link opened). */
  link: { token: string | null };
  onSignedIn: (session: Session) => void;
}

export function SignInView({ link, onSignedIn }: Props) {
  const task = useTask();
  const attempt = (jwt: string) =>
    task.run(async () => {
      onSignedIn(await signIn(jwt));
      return null;
    });

  useEffect(() => {
    if (link.token) void attempt(link.token);
  }, [link]);

  return (
    <section class="sign-in">
      <h1 tabIndex={-1}>Sign in</h1>
      <p>
        Paste a token, or open the link <code>engram console --user &lt;id&gt;</code> prints. The token stays in this tab only:
        a reload forgets it.
      </p>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          const jwt = String(new FormData(e.currentTarget).get('token') ?? '');
          if (jwt.trim()) void attempt(jwt);
        }}
      >
        <label for="token">Token</label>
        <input id="token" name="token" type="password" autocomplete="off" spellcheck={false} required />
        <button type="submit" disabled={task.busy}>
          Sign in
        </button>
      </form>
      {task.busy && <Status text="Signing in…" />}
      <ErrorAlert error={task.error} />
    </section>
  );
}
