import { LikeClient, type PostLikeView, type RollbackEvent } from '@likepipe/client';

/**
 * The demo page: one heart per post, driven by the SDK. The token and the post ids come from the URL fragment
 * (`#token=…&posts=a,b`), which browsers never send to the server, so the token stays out of access logs.
 * Without post ids the page shows the viewer's feed (GET /api/feed), hottest first.
 * The token then moves to sessionStorage and out of the address bar (and out of history and screenshots).
 */
const TOKEN_KEY = 'likepipe.token';
const FEED_SIZE = 20;
const MAX_NOTES = 5;

const $ = <T extends Element>(selector: string): T => {
  const el = document.querySelector<T>(selector);
  if (!el) throw new Error(`the page has no ${selector}`);
  return el;
};

function readSetup(): { token: string | null; posts: string[]; feedSize: number } {
  const params = new URLSearchParams(location.hash.slice(1));
  const fromUrl = params.get('token');
  if (fromUrl) {
    sessionStorage.setItem(TOKEN_KEY, fromUrl);
    params.delete('token');
    history.replaceState(null, '', `${location.pathname}${location.search}#${params.toString()}`);
  }
  const posts = (params.get('posts') ?? '')
    .split(',')
    .map((id) => id.trim())
    .filter((id) => id.length > 0);
  // `feed=N` (1-100) sizes the feed shown when no posts are named; anything else keeps the default.
  const n = Number(params.get('feed'));
  const feedSize = Number.isInteger(n) && n >= 1 && n <= 100 ? n : FEED_SIZE;
  return { token: fromUrl ?? sessionStorage.getItem(TOKEN_KEY), posts, feedSize };
}

/** The user id, only to say who is signed in: the server verifies the token, the page just reads it. */
function subjectOf(token: string): string | undefined {
  try {
    const payload = token.split('.')[1] ?? '';
    const json = atob(payload.replace(/-/g, '+').replace(/_/g, '/'));
    const sub = (JSON.parse(json) as { sub?: unknown }).sub;
    return typeof sub === 'string' ? sub : undefined;
  } catch {
    return undefined;
  }
}

/** The viewer's feed, best first: the post ids to show when the URL names none. */
async function feedPostIds(token: string, size: number): Promise<string[]> {
  const res = await fetch(`/api/feed?limit=${size}`, { headers: { authorization: `Bearer ${token}` } });
  if (!res.ok) throw new Error(`GET /api/feed answered ${res.status}`);
  const body = (await res.json()) as { items: { postId: string }[] };
  return body.items.map((i) => i.postId);
}

async function start(token: string, requested: string[], feedSize = FEED_SIZE): Promise<void> {
  const fromFeed = requested.length === 0;
  let postIds = requested;
  if (fromFeed) {
    try {
      postIds = await feedPostIds(token, feedSize);
    } catch (err) {
      $('#source').textContent = `could not load your feed (${(err as Error).message})`;
      return;
    }
  }
  $('#source').textContent = fromFeed ? `your feed: ${postIds.length} posts, hottest first` : '';
  const user = subjectOf(token);
  $('#who').textContent = user ? `signed in as ${user}` : '';
  const client = new LikeClient({ baseUrl: '', token });
  const rows = new Map<string, HTMLLIElement>();
  const template = $<HTMLTemplateElement>('#post-template');
  const list = $<HTMLUListElement>('#posts');

  for (const postId of postIds) {
    const row = (template.content.firstElementChild as HTMLLIElement).cloneNode(true) as HTMLLIElement;
    row.dataset.postId = postId;
    row.querySelector('.post-id')!.textContent = postId;
    row.querySelector('.heart')!.addEventListener('click', () => client.toggle(postId));
    rows.set(postId, row);
    list.append(row);
    render(row, client.get(postId));
    client.refresh(postId).catch((err: { code?: string; message?: string }) => {
      row.querySelector('.post-error')!.textContent = `could not load (${err.code ?? 'error'})`;
    });
  }

  client.on('change', (v) => {
    const row = rows.get(v.postId);
    if (row) render(row, v);
  });
  client.on('rollback', showRollback);
}

function render(row: HTMLLIElement, v: PostLikeView): void {
  const heart = row.querySelector<HTMLButtonElement>('.heart')!;
  heart.setAttribute('aria-pressed', String(v.liked));
  heart.setAttribute('aria-label', `${v.liked ? 'Unlike' : 'Like'} ${v.postId}`);
  heart.title = v.degraded ? 'saved; the count is catching up' : '';
  row.querySelector('.count')!.textContent = v.likeCount === null ? '–' : String(v.likeCount);
  row.dataset.state = v.pending ? 'pending' : 'idle';
}

function showRollback(e: RollbackEvent): void {
  const notes = $('#notes');
  const note = document.createElement('p');
  note.className = 'note';
  note.dataset.postId = e.postId;
  const reason =
    e.error.code === 'rate_limited'
      ? 'too many likes for now'
      : e.error.code === 'rejected'
        ? `refused: ${e.error.status ?? ''} ${(e.error as { serverCode?: string }).serverCode ?? ''}`.trim()
        : 'the server could not save it';
  const text = document.createElement('span');
  text.textContent = `Your ${e.attempted ? 'like' : 'unlike'} of ${e.postId} was rolled back (${reason}).`;
  const close = document.createElement('button');
  close.type = 'button';
  close.textContent = '✕';
  close.setAttribute('aria-label', 'Dismiss');
  close.addEventListener('click', () => note.remove());
  note.append(text, close);
  notes.prepend(note);
  while (notes.children.length > MAX_NOTES) notes.lastElementChild!.remove();
}

const setup = readSetup();
if (setup.token) {
  void start(setup.token, setup.posts, setup.feedSize);
} else {
  const form = $<HTMLFormElement>('#setup');
  form.hidden = false;
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const data = new FormData(form);
    const token = String(data.get('token') ?? '').trim();
    sessionStorage.setItem(TOKEN_KEY, token);
    history.replaceState(null, '', `#posts=${encodeURIComponent(String(data.get('posts') ?? ''))}`);
    form.hidden = true;
    void start(token, readSetup().posts);
  });
}
