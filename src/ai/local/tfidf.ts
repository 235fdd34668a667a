/**
 * A TF-IDF index of documents (tickets), for "which solved tickets are most
 * like this one". Vectors are sparse and L2-normalised; postings per term make
 * a query cost the documents that share a word with it, not all of them.
 * Memory: a few typed arrays per document, nothing else kept of the text.
 */

class Vocabulary {
  private readonly ids = new Map<string, number>();
  df: number[] = [];

  idOf(term: string, add: boolean): number | undefined {
    let id = this.ids.get(term);
    if (id === undefined && add) {
      id = this.ids.size;
      this.ids.set(term, id);
      this.df.push(0);
    }
    return id;
  }

  get size(): number {
    return this.ids.size;
  }
}

/** Term counts of one document, by term id. */
function counts(vocabulary: Vocabulary, terms: readonly string[], add: boolean): Map<number, number> {
  const out = new Map<number, number>();
  for (const t of terms) {
    const id = vocabulary.idOf(t, add);
    if (id !== undefined) out.set(id, (out.get(id) ?? 0) + 1);
  }
  return out;
}

export interface Hit {
  id: string;
  score: number;
}

export class TfIdfIndex {
  private readonly vocabulary = new Vocabulary();
  private readonly pending: { id: string; counts: Map<number, number> }[] = [];
  private docIds: string[] = [];
  private postings: { docs: Int32Array; weights: Float32Array }[] = [];
  private docCount = 0;

  /** Adds a document while building; `build` makes them searchable. */
  add(id: string, terms: readonly string[]): void {
    const c = counts(this.vocabulary, terms, true);
    if (!c.size) return;
    for (const term of c.keys()) this.vocabulary.df[term]!++;
    this.pending.push({ id, counts: c });
  }

  /** Weighs the documents and turns them into postings; the counts are dropped. */
  build(): this {
    this.docCount = this.pending.length;
    this.docIds = this.pending.map((d) => d.id);
    const lists: { docs: number[]; weights: number[] }[] = Array.from({ length: this.vocabulary.size }, () => ({ docs: [], weights: [] }));
    this.pending.forEach((doc, index) => {
      const weighted = [...doc.counts].map(([term, tf]) => [term, (1 + Math.log(tf)) * this.idf(term)] as const);
      const norm = Math.sqrt(weighted.reduce((s, [, w]) => s + w * w, 0)) || 1;
      for (const [term, w] of weighted) {
        lists[term]!.docs.push(index);
        lists[term]!.weights.push(w / norm);
      }
    });
    this.pending.length = 0;
    this.postings = lists.map((l) => ({ docs: Int32Array.from(l.docs), weights: Float32Array.from(l.weights) }));
    return this;
  }

  /** Inverse document frequency, smoothed: a word in every document weighs little, an unseen one nothing. */
  idf(term: number): number {
    return Math.log(1 + this.docCount / (1 + (this.vocabulary.df[term] ?? 0)));
  }

  /** The weight of each known term of a text, for scoring its sentences (summaries). */
  weights(terms: readonly string[]): Map<string, number> {
    const out = new Map<string, number>();
    for (const t of terms) {
      const id = this.vocabulary.idOf(t, false);
      out.set(t, id === undefined ? Math.log(1 + this.docCount) : this.idf(id));
    }
    return out;
  }

  /** The documents most like the text (cosine similarity), best first, leaving out `exclude`. */
  search(terms: readonly string[], limit: number, exclude?: ReadonlySet<string>): Hit[] {
    const query = [...counts(this.vocabulary, terms, false)].map(([term, tf]) => [term, (1 + Math.log(tf)) * this.idf(term)] as const);
    const norm = Math.sqrt(query.reduce((s, [, w]) => s + w * w, 0));
    if (!norm) return [];
    const scores = new Map<number, number>();
    for (const [term, w] of query) {
      const p = this.postings[term]!;
      for (let i = 0; i < p.docs.length; i++) scores.set(p.docs[i]!, (scores.get(p.docs[i]!) ?? 0) + (w / norm) * p.weights[i]!);
    }
    return [...scores]
      .map(([doc, score]) => ({ id: this.docIds[doc]!, score }))
      .filter((h) => !exclude?.has(h.id))
      .sort((a, b) => b.score - a.score)
      .slice(0, limit);
  }

  get size(): number {
    return this.docCount;
  }
}
