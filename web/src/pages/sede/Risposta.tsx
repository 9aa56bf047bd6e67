import { api, unwrap } from '../../api/client';
import { idem, type CommandAccepted } from '../../api/commands';
import type { NextAction } from '../../components/ActionButton';
import { MessageComposer } from '../../components/request/MessageComposer';

interface Props {
  requestId: string;
  userId: string;
  action: NextAction | undefined;
  onSent: (accepted: CommandAccepted) => void;
}

/** "Rispondi": the sede's answer, text and attachments; its draft survives a reload. */
export function Risposta({ requestId, userId, action, onSent }: Props) {
  return (
    <MessageComposer idPrefix="rispondi" title="Rispondi" textLabel="Testo della risposta" submitLabel="Invia risposta"
      draftName={`reply.${requestId}`} userId={userId} action={action} onSent={onSent}
      send={(body, key) => unwrap(api.POST('/api/v1/requests/{id}/replies', {
        params: { path: { id: requestId } }, headers: idem(key), body,
      }))} />
  );
}
