import { api, unwrap } from '../../api/client';
import { idem, type CommandAccepted } from '../../api/commands';
import type { NextAction } from '../../components/ActionButton';
import { MessageComposer } from '../../components/request/MessageComposer';

interface Props {
  requestId: string;
  userId: string;
  action: NextAction | undefined;
  interactionsLeft: number;
  onSent: (accepted: CommandAccepted) => void;
}

/** "Nuova comunicazione" (manual fig. 20): text and attachments; its draft survives a reload. */
export function NuovaComunicazione({ requestId, userId, action, interactionsLeft, onSent }: Props) {
  return (
    <MessageComposer idPrefix="nuova-comunicazione" title="Nuova comunicazione" textLabel="Testo della comunicazione"
      submitLabel="Invia" draftName={`message.${requestId}`} userId={userId} action={action}
      sentMessage="Comunicazione inviata alla sede." onSent={onSent}
      send={(body, key) => unwrap(api.POST('/api/v1/requests/{id}/messages', {
        params: { path: { id: requestId } }, headers: idem(key), body,
      }))}>
      <p className="mb-2">
        Interazioni residue: <strong>{interactionsLeft}</strong> di 2
      </p>
    </MessageComposer>
  );
}
