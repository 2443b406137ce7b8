import { useEffect, useRef, useState } from 'preact/hooks';
import { setViewedUser } from './api';
import { routeKey, useRoute, type Route } from './router';
import { signOut, takeTokenFromUrl, type Session } from './session';
import { DataView } from './views/data';
import { EntitiesView } from './views/entities';
import { MemoriesView } from './views/memories';
import { MemoryView } from './views/memory';
import { SearchView } from './views/search';
import { SignInView } from './views/sign-in';
import { SummariesView } from './views/summaries';

const NAV: Array<[Route['view'], string]> = [
  ['memories', 'Memories'],
  ['search', 'Search'],
  ['entities', 'Entities'],
  ['summaries', 'Summaries'],
  ['data', 'Data'],
];

/** Moves focus to the view's heading, so keyboard and screen-reader users land on the new view. */
function focusHeading() {
  document.querySelector<HTMLElement>('main h1')?.focus();
}

function View({ route, user }: { route: Route; user: string }) {
  switch (route.view) {
    case 'memory':
      return <MemoryView id={route.id} />;
    case 'search':
      return <SearchView />;
    case 'entities':
      return <EntitiesView />;
    case 'summaries':
      return <SummariesView />;
    case 'data':
      return <DataView user={user} />;
    default:
      return <MemoriesView />;
  }
}

/** A relay token may name which user every request is about (`user_id`). */
function ViewUserForm({ current, onChange }: { current: string; onChange: (user: string) => void }) {
  return (
    <form
      class="view-user"
      onSubmit={(e) => {
        e.preventDefault();
        const value = String(new FormData(e.currentTarget).get('user') ?? '').trim();
        if (value) onChange(value);
      }}
    >
      <label for="view-user">User id</label>
      <input id="view-user" name="user" defaultValue={current} autocomplete="off" required />
      <button type="submit">View user</button>
    </form>
  );
}

export function App() {
  const route = useRoute();
  const [session, setSession] = useState<Session | null>(null);
  const [viewed, setViewed] = useState<string | null>(null);
  // A sign-in link (`#token=…`) opened on load, or later in this tab (a hash change, no reload).
  const [link, setLink] = useState(() => ({ token: takeTokenFromUrl() }));
  const user = viewed ?? session?.user ?? '';
  const key = session ? `${routeKey(route)}|${user}` : 'sign-in';
  const firstRender = useRef(true);

  useEffect(() => {
    if (firstRender.current) firstRender.current = false;
    else focusHeading();
  }, [key]);

  const leave = () => {
    signOut();
    setViewed(null);
    setSession(null);
    setLink({ token: null });
  };

  useEffect(() => {
    const onHashChange = () => {
      const token = takeTokenFromUrl();
      if (!token) return;
      leave();
      setLink({ token });
    };
    addEventListener('hashchange', onHashChange);
    return () => removeEventListener('hashchange', onHashChange);
  }, []);

  const viewUser = (next: string) => {
    setViewedUser(next === session?.user ? null : next);
    setViewed(next === session?.user ? null : next);
  };

  return (
    <>
      <a
        class="skip-link"
        href="#main"
        onClick={(e) => {
          // The hash is the router's: focus the content instead of navigating to #main.
          e.preventDefault();
          focusHeading();
        }}
      >
        Skip to content
      </a>
      <header class="top">
        <p class="brand">Engram console</p>
        {session && (
          <div class="who">
            <p>Signed in as {session.user}</p>
            {viewed && <p>Viewing {viewed}</p>}
            <button type="button" onClick={leave}>
              Sign out
            </button>
          </div>
        )}
        {session?.scopes.includes('memory:relay') && <ViewUserForm current={user} onChange={viewUser} />}
      </header>
      {session && (
        <nav aria-label="Console">
          <ul>
            {NAV.map(([view, label]) => (
              <li key={view}>
                <a href={`#/${view}`} aria-current={route.view === view || (view === 'memories' && route.view === 'memory') ? 'page' : undefined}>
                  {label}
                </a>
              </li>
            ))}
          </ul>
        </nav>
      )}
      <main id="main">
        {session ? <View key={key} route={route} user={user} /> : <SignInView link={link} onSignedIn={setSession} />}
      </main>
    </>
  );
}
