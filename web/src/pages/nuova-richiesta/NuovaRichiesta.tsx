import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { api, unwrap } from '../../api/client';
import { IdempotencyKeys } from '../../api/ids';
import { toApiError, type ApiError } from '../../api/problem';
import { useMe } from '../../auth/AuthContext';
import { clearDraft, loadDraft, saveDraft } from '../../auth/session';
import { ConfirmDialog } from '../../components/ConfirmDialog';
import { ErrorAlert } from '../../components/ErrorAlert';
import { PageHeading } from '../../components/PageHeading';
import type { Me } from '../../api/types';
import { useAsync } from '../../useAsync';
import {
  EMPTY_FORM, EMPTY_SEARCH, emptyDraft, fieldOfCode, isReferent, requestBody, STEP_LABELS, stepsFor, topicsFor,
  type Draft, type FieldId, type Form, type RequestCheck, type Sede, type StepId,
} from './model';
import { StepHeading } from './parts';
import { ConfermaUtente, Individuazione } from './StepCittadino';
import { Compilazione } from './StepCompilazione';
import { Inviata, type Sent } from './StepInviata';
import { Riepilogo } from './StepRiepilogo';
import { Stepper } from './Stepper';
import './wizard.css';

const DRAFT = 'nuova-richiesta';

type Errors = Partial<Record<FieldId, ApiError>>;

/** The element each field's refusal moves the focus to. */
const FIELD_ELEMENT: Partial<Record<FieldId, string>> = {
  mandate: 'mandate',
  topic: 'topic',
  subtopic: 'subtopic',
  practiceRef: 'practice-value',
  text: 'text',
  notes: 'notes',
  attachments: 'allegati-file',
  search: 'cf',
};

/** The field whose refusal a change of the form clears. */
const FORM_FIELD: Record<keyof Form, FieldId> = {
  topic: 'topic',
  subtopic: 'subtopic',
  practiceKind: 'practiceRef',
  practiceValue: 'practiceRef',
  text: 'text',
  notes: 'notes',
  attachments: 'attachments',
};

/** The user's draft, if it is one this wizard can resume (a reload, a session that expired). */
function restore(me: Me): Draft {
  const base = emptyDraft(me.role);
  const d = loadDraft<Draft>(me.id, DRAFT);
  if (!d || !stepsFor(me.role).includes(d.step) || d.step === 'conferma') return base;
  const merged: Draft = { ...base, ...d, search: { ...EMPTY_SEARCH, ...d.search }, form: { ...EMPTY_FORM, ...d.form } };
  // A step past the citizen's needs the citizen, and past Conferma utente the delega.
  const at = stepsFor(me.role).indexOf(merged.step);
  if (!isReferent(me.role) && !merged.citizen && at > 0) merged.step = 'individuazione';
  else if (!isReferent(me.role) && !merged.mandate && at > 1) merged.step = 'conferma-utente';
  return merged;
}

/** Nuova richiesta (manual §3.2, §4.3): the wizard, one step at a time, its draft kept per user. */
export function NuovaRichiesta() {
  const me = useMe();
  const role = me.role;
  const steps = stepsFor(role);
  const [draft, setDraft] = useState<Draft>(() => restore(me));
  const [sent, setSent] = useState<(Sent & { draft: Draft }) | null>(null);
  // 0 on the first render: the page's h1 takes the focus; after each step change the step's h2.
  const [focusKey, setFocusKey] = useState(0);
  const [errors, setErrors] = useState<Errors>({});
  // The last check asked (its body as JSON), and its answer when it was accepted.
  const [check, setCheck] = useState<{ key: string; result: RequestCheck | null } | null>(null);
  const [checking, setChecking] = useState(false);
  const [sending, setSending] = useState(false);
  const [sendError, setSendError] = useState<ApiError | null>(null);
  const keys = useRef(new IdempotencyKeys());
  const [discarding, setDiscarding] = useState(false);

  const topicsQ = useAsync(() => unwrap(api.GET('/api/v1/topics')), 'topics');
  const allTopics = useMemo(() => topicsQ.data ?? [], [topicsQ.data]);
  const topics = useMemo(() => topicsFor(role, allTopics), [role, allTopics]);

  const step: StepId = sent ? 'conferma' : draft.step;
  const body = useMemo(() => requestBody(draft, role, allTopics), [draft, role, allTopics]);
  const bodyKey = JSON.stringify(body);

  const update = useCallback(
    (patch: Partial<Draft>) =>
      setDraft((d) => {
        const next = { ...d, ...patch };
        saveDraft(me.id, DRAFT, next);
        return next;
      }),
    [me.id],
  );

  const goTo = useCallback(
    (s: StepId, errs: Errors = {}) => {
      update({ step: s });
      setErrors(errs);
      setSendError(null);
      setFocusKey((k) => k + 1);
    },
    [update],
  );

  // A refusal moves the focus to its field (after the step's heading took it).
  const focusNext = useRef<FieldId | null>(null);
  useEffect(() => {
    const f = focusNext.current;
    focusNext.current = null;
    if (f && FIELD_ELEMENT[f]) document.getElementById(FIELD_ELEMENT[f]!)?.focus();
  }, [errors]);

  /** A refusal of the API, shown at the step and by the field it concerns. */
  const refuse = useCallback(
    (err: ApiError, here: StepId): 'shown' => {
      const at = fieldOfCode(err.code);
      if (!at || !steps.includes(at.step)) {
        setErrors({ general: err });
        return 'shown';
      }
      focusNext.current = at.field;
      if (at.step === here) setErrors({ [at.field]: err });
      else goTo(at.step, { [at.field]: err });
      return 'shown';
    },
    [goTo, steps],
  );

  const runCheck = useCallback(
    async (here: StepId): Promise<boolean> => {
      setChecking(true);
      const key = bodyKey;
      try {
        const result = await unwrap(api.POST('/api/v1/requests/check', { body: JSON.parse(key) }));
        setCheck({ key, result });
        return true;
      } catch (e) {
        setCheck({ key, result: null });
        refuse(toApiError(e), here);
        return false;
      } finally {
        setChecking(false);
      }
    },
    [bodyKey, refuse],
  );

  // Riepilogo shows the sede of the request as it is now (after a reload, or "Modifica sede").
  const stale = step === 'riepilogo' && topicsQ.data !== undefined && check?.key !== bodyKey;
  useEffect(() => {
    if (!stale) return;
    let live = true;
    unwrap(api.POST('/api/v1/requests/check', { body: JSON.parse(bodyKey) })).then(
      (result) => live && setCheck({ key: bodyKey, result }),
      (e) => {
        if (!live) return;
        setCheck({ key: bodyKey, result: null });
        refuse(toApiError(e), 'riepilogo');
      },
    );
    return () => {
      live = false;
    };
  }, [stale, bodyKey, refuse]);

  async function toRiepilogo() {
    setErrors({});
    if (await runCheck('compilazione')) goTo('riepilogo');
  }

  async function send() {
    setSending(true);
    setSendError(null);
    try {
      const accepted = await unwrap(
        api.POST('/api/v1/requests', { body, params: { header: { 'Idempotency-Key': keys.current.keyFor(body) } } }),
      );
      keys.current.done();
      clearDraft(me.id, DRAFT);
      // Read-your-writes: once the read models have it, the Storico and the detail show it too.
      const detail = await unwrap(
        api.GET('/api/v1/requests/{id}', { params: { path: { id: accepted.request_id }, query: { min_position: accepted.position } } }),
      ).catch(() => null);
      setSent({
        requestId: accepted.request_id,
        protocol: accepted.protocol ?? detail?.request.protocol ?? '',
        sedeName: detail?.current_sede_name ?? check?.result?.destination.name ?? null,
        draft,
      });
      setErrors({});
      setFocusKey((k) => k + 1);
    } catch (e) {
      // After a network error the same key goes with the same body: a retry cannot send twice.
      const err = toApiError(e);
      const at = fieldOfCode(err.code);
      if (at && at.step !== 'riepilogo') refuse(err, 'riepilogo');
      else if (at) {
        focusNext.current = at.field;
        setErrors({ [at.field]: err });
      }
      else setSendError(err);
    } finally {
      setSending(false);
    }
  }

  function restart(next: Draft) {
    saveDraft(me.id, DRAFT, next);
    setDraft(next);
    setSent(null);
    setCheck(null);
    setErrors({});
    setFocusKey((k) => k + 1);
  }

  const sameCitizen = (s: Sent & { draft: Draft }) =>
    restart({ ...emptyDraft(role), step: 'compilazione', search: s.draft.search, citizen: s.draft.citizen, mandate: s.draft.mandate });
  // The practice belongs to the first citizen: the new one needs their own reference.
  const otherCitizen = (s: Sent & { draft: Draft }) =>
    restart({
      ...emptyDraft(role),
      form: { ...s.draft.form, practiceKind: '', practiceValue: '', attachments: [] },
      copyFrom: s.requestId,
    });

  return (
    <>
      <PageHeading title="Nuova richiesta">Nuova richiesta</PageHeading>
      {isReferent(role) && step !== 'conferma' && (
        <p>La richiesta è inviata per tuo conto, come referente regionale del patronato.</p>
      )}
      {/* Before the step: its closing (and the focus it restores) comes before the step's heading takes the focus. */}
      <ConfirmDialog open={discarding} title="Ricominciare da capo?" confirmLabel="Ricomincia"
        onCancel={() => setDiscarding(false)}
        onConfirm={() => {
          setDiscarding(false);
          restart(emptyDraft(role));
        }}>
        I dati inseriti in questa richiesta andranno persi.
      </ConfirmDialog>
      <Stepper steps={steps} current={step} onGoTo={sent ? undefined : (s) => goTo(s)} />
      <section aria-labelledby="step-title" className="wizard-step">
        <StepHeading key={step} focusKey={focusKey}>
          <span id="step-title">{STEP_LABELS[step]}</span>
        </StepHeading>
        {draft.copyFrom && step === 'individuazione' && (
          <p className="alert alert-info">
            Medesima richiesta per un differente cittadino: individua il nuovo cittadino; tematica, testo e note sono
            quelli della richiesta precedente, il riferimento della pratica va indicato di nuovo.
          </p>
        )}
        {step === 'individuazione' && (
          <Individuazione search={draft.search} error={errors.search ?? errors.general ?? null}
            onSearch={(search) => update({ search })}
            onFound={(citizen) => {
              update({ citizen, mandate: false });
              goTo('conferma-utente');
            }} />
        )}
        {step === 'conferma-utente' && draft.citizen && (
          <ConfermaUtente citizen={draft.citizen} mandate={draft.mandate} error={errors.mandate ?? errors.general ?? null}
            onMandate={(mandate) => { update({ mandate }); setErrors({}); }}
            onBack={() => goTo('individuazione')} onNext={() => goTo('compilazione')} />
        )}
        {step === 'compilazione' && (
          topicsQ.data === undefined ? (
            topicsQ.error ? <ErrorAlert error={topicsQ.error} /> : <p role="status">Caricamento…</p>
          ) : (
            <Compilazione form={draft.form} topics={topics} errors={errors} busy={checking}
              onChange={(patch) => {
                update({ form: { ...draft.form, ...patch } });
                // A refusal stays until the user changes its field; then the next check says.
                const touched = new Set((Object.keys(patch) as (keyof Form)[]).map((k) => FORM_FIELD[k]));
                if ((Object.keys(errors) as FieldId[]).some((f) => touched.has(f))) {
                  setErrors((e) => Object.fromEntries(Object.entries(e).filter(([f]) => !touched.has(f as FieldId))));
                }
              }}
              onBack={isReferent(role) ? undefined : () => goTo('conferma-utente')} onNext={toRiepilogo} />
          )
        )}
        {step === 'riepilogo' && (
          <Riepilogo draft={draft} topics={allTopics} check={check?.key === bodyKey ? check.result : null} checking={checking || stale}
            sedeError={errors.destination ?? null} sendError={sendError ?? errors.general ?? null} sending={sending}
            onDestination={(destination: Sede | null) => { update({ destination }); setErrors({}); }}
            onBack={() => goTo('compilazione')} onSend={send} />
        )}
        {step === 'conferma' && sent && (
          <Inviata sent={sent}
            onSameCitizen={isReferent(role) ? undefined : () => sameCitizen(sent)}
            onOtherCitizen={isReferent(role) ? undefined : () => otherCitizen(sent)} />
        )}
      </section>
      {step !== 'conferma' && JSON.stringify(draft) !== JSON.stringify(emptyDraft(role)) && (
        <p className="mt-4">
          <button type="button" className="btn btn-link p-0" onClick={() => setDiscarding(true)}>Ricomincia da capo</button>
        </p>
      )}
    </>
  );
}
