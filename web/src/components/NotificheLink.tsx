import { Badge } from 'design-react-kit';
import { useEffect, useState } from 'react';
import { Link } from 'react-router';
import { api, unwrap } from '../api/client';

/** Roles that receive notifications in the app (the API answers 403 to the others). */
export const NOTIFIED_ROLES = ['operator', 'patronato_admin', 'regional_referent', 'sede_officer'];

/** How often the unread count is asked for while the tab is visible (decisions N7: polling). */
const POLL_MS = 15_000;

/** Fired by the Notifiche page after marking read, so the header's count follows at once. */
export const NOTIFICHE_CHANGED = 'combipat:notifiche-changed';

/**
 * "Notifiche" in the slim header with the unread count, kept fresh without a reload: polled every
 * 15 s while the tab is visible and at once when it becomes visible again.
 */
export function NotificheLink() {
  const [unread, setUnread] = useState<number | null>(null);
  useEffect(() => {
    let live = true;
    const refresh = () => {
      if (document.visibilityState !== 'visible') return;
      unwrap(api.GET('/api/v1/notifications/unread')).then(
        (r) => live && setUnread(r.unread),
        () => undefined,
      );
    };
    refresh();
    const timer = window.setInterval(refresh, POLL_MS);
    document.addEventListener('visibilitychange', refresh);
    window.addEventListener(NOTIFICHE_CHANGED, refresh);
    return () => {
      live = false;
      window.clearInterval(timer);
      document.removeEventListener('visibilitychange', refresh);
      window.removeEventListener(NOTIFICHE_CHANGED, refresh);
    };
  }, []);
  // The name is the visible text ("Notifiche 2") with what the number means for screen readers.
  return (
    <Link to="/notifiche" className="btn btn-sm btn-outline-light slim-notifiche">
      Notifiche
      {unread ? (
        <>
          {' '}
          <Badge color="light" pill className="text-primary">
            {unread}
            <span className="visually-hidden"> {unread === 1 ? 'non letta' : 'non lette'}</span>
          </Badge>
        </>
      ) : null}
    </Link>
  );
}
