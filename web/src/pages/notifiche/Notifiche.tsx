import { useState } from 'react';
import { Link } from 'react-router';
import { api, unwrap } from '../../api/client';
import { toApiError, type ApiError } from '../../api/problem';
import type { components } from '../../api/schema';
import { useMe } from '../../auth/AuthContext';
import { ErrorAlert } from '../../components/ErrorAlert';
import { Mono } from '../../components/Mono';
import { NOTIFICHE_CHANGED } from '../../components/NotificheLink';
import { PageHeading } from '../../components/PageHeading';
import { formatDateTime } from '../../format';
import { useAsync } from '../../useAsync';
import { describe } from './describe';

type NotificationList = components['schemas']['NotificationList'];
type Preferences = components['schemas']['Preferences'];

/** Notifiche: the user's notifications (replies, forwards, closings, appointments, digests) and e-mail preferences. */
export function Notifiche() {
  const me = useMe();
  const [error, setError] = useState<ApiError | null>(null);
  const [saved, setSaved] = useState<string | null>(null);
  const list = useAsync<NotificationList>(() => unwrap(api.GET('/api/v1/notifications')), 'notifiche');
  const prefs = useAsync<Preferences>(() => unwrap(api.GET('/api/v1/notifications/preferences')), 'preferenze');
  const [muted, setMuted] = useState<Set<string> | null>(null);
  const shownMuted = muted ?? new Set((prefs.data?.kinds ?? []).filter((k) => !k.email).map((k) => k.kind));
  const detailPath = (id: string) => (me.role === 'sede_officer' ? `/sede/richieste/${id}` : `/storico/${id}`);

  async function markRead(ids?: string[]) {
    try {
      await unwrap(api.POST('/api/v1/notifications/read', { body: { ids: ids ?? null } }));
      setError(null);
      list.reload();
      window.dispatchEvent(new Event(NOTIFICHE_CHANGED));
    } catch (e) {
      setError(toApiError(e));
    }
  }

  async function savePreferences() {
    try {
      await unwrap(api.PUT('/api/v1/notifications/preferences', { body: { muted: [...shownMuted] } }));
      setError(null);
      setSaved('Preferenze salvate.');
      prefs.reload();
    } catch (e) {
      setError(toApiError(e));
    }
  }

  const items = list.data?.items ?? [];
  const unread = list.data?.unread ?? 0;
  return (
    <>
      <PageHeading title="Notifiche">Notifiche</PageHeading>
      {error && <ErrorAlert error={error} />}
      {list.error && <ErrorAlert error={list.error} />}
      <section aria-labelledby="elenco-notifiche">
        <div className="d-flex flex-wrap align-items-center gap-3 mb-3">
          <h2 id="elenco-notifiche" className="h4 mb-0">
            Elenco
          </h2>
          <p className="mb-0" role="status">
            {list.loading && !list.data ? 'Caricamento…' : unread === 1 ? '1 notifica non letta' : `${unread} notifiche non lette`}
          </p>
          {unread > 0 && (
            <button type="button" className="btn btn-outline-primary btn-sm" onClick={() => markRead()}>
              Segna tutte come lette
            </button>
          )}
        </div>
        {list.data && items.length === 0 && <p>Nessuna notifica.</p>}
        <ul className="list-unstyled notifiche-list">
          {items.map((n) => {
            const d = describe(n);
            return (
              <li key={n.id} className={`notifica border-bottom py-3 ${n.read_at ? '' : 'notifica-non-letta'}`}>
                <p className="fw-semibold mb-1">
                  {!n.read_at && <span className="visually-hidden">Non letta: </span>}
                  {d.title}
                </p>
                <p className="mb-1">
                  {formatDateTime(n.created_at)}
                  {d.protocol && (
                    <>
                      {' · Richiesta '}
                      <Mono>{d.protocol}</Mono>
                    </>
                  )}
                </p>
                {d.text && <p className="mb-1">{d.text}</p>}
                <div className="d-flex flex-wrap gap-3">
                  {n.request_id && d.protocol && (
                    <Link to={detailPath(n.request_id)} aria-label={`Apri la richiesta ${d.protocol}`}>
                      Apri la richiesta
                    </Link>
                  )}
                  {!n.read_at && (
                    <button type="button" className="btn btn-link p-0" onClick={() => markRead([n.id])} aria-label={`Segna come letta: ${d.title}`}>
                      Segna come letta
                    </button>
                  )}
                </div>
              </li>
            );
          })}
        </ul>
      </section>
      <section aria-labelledby="preferenze-email" className="mt-4">
        <h2 id="preferenze-email" className="h4">
          E-mail da ricevere
        </h2>
        {prefs.error && <ErrorAlert error={prefs.error} />}
        <form
          onSubmit={(e) => {
            e.preventDefault();
            void savePreferences();
          }}
        >
          <fieldset>
            <legend className="fs-6 fw-normal">Le notifiche restano comunque visibili in questa pagina.</legend>
            {(prefs.data?.kinds ?? []).map((k) => (
              <div className="form-check" key={k.kind}>
                <input
                  className="form-check-input"
                  id={`pref-${k.kind}`}
                  type="checkbox"
                  checked={!shownMuted.has(k.kind)}
                  onChange={(e) => {
                    const next = new Set(shownMuted);
                    if (e.target.checked) next.delete(k.kind);
                    else next.add(k.kind);
                    setMuted(next);
                    setSaved(null);
                  }}
                />
                <label className="form-check-label" htmlFor={`pref-${k.kind}`}>{k.label}</label>
              </div>
            ))}
          </fieldset>
          <button type="submit" className="btn btn-primary mt-2">
            Salva preferenze
          </button>
          {saved && (
            <p role="status" className="mt-2">
              {saved}
            </p>
          )}
        </form>
      </section>
    </>
  );
}
