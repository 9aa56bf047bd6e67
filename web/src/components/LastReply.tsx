/**
 * The start of the sede's last reply under a list's subject (the API cuts it on a word, `…` when
 * shortened); rows from before the excerpt existed show how many replies there are.
 */
export function LastReply({ excerpt, replies }: { excerpt?: string | null; replies: number }) {
  if (excerpt) {
    return (
      <div className="excerpt">
        <span className="fw-semibold">Ultima risposta:</span> {excerpt}
      </div>
    );
  }
  if (replies > 0) return <div className="excerpt">Risposte della sede: {replies}</div>;
  return null;
}
