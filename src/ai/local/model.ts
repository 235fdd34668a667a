import type { AiClassification } from "../contract.js";
import { Classifier } from "./classifier.js";
import { terms } from "./text.js";
import { TfIdfIndex, type Hit } from "./tfidf.js";

/** One ticket the local models learn from: what its customer wrote, and what the team decided about it. */
export interface TrainingTicket {
  id: string;
  /** The subject and what the customer wrote, nothing else. */
  text: string;
  tags: string[];
  priority: string;
  /** Solved or closed: its replies may be offered for similar tickets. */
  solved: boolean;
}

/** Training stops giving the event loop back after this many tickets: requests keep being served meanwhile. */
const YIELD_EVERY = 100;

/**
 * A tenant's own models, trained on that tenant's tickets only: naive Bayes
 * for tags and priority, and a TF-IDF index of its solved tickets (similar
 * tickets, reply suggestions, summary weights). Lives in memory; holds word
 * counts and vectors, never a text.
 */
export class TenantModel {
  private constructor(
    readonly trainedAt: Date,
    /** How many tickets it learnt from. */
    readonly examples: number,
    private readonly tags: Classifier | null,
    private readonly priority: Classifier | null,
    private readonly solved: TfIdfIndex,
  ) {}

  static async train(tickets: AsyncIterable<TrainingTicket>, signal?: AbortSignal): Promise<TenantModel> {
    const trainedAt = new Date();
    const tags = Classifier.learner();
    const priority = Classifier.learner();
    const solved = new TfIdfIndex();
    let n = 0;
    for await (const t of tickets) {
      const words = terms(t.text);
      for (const tag of t.tags) tags.learn(words, tag);
      priority.learn(words, t.priority);
      if (t.solved) solved.add(t.id, words);
      if (++n % YIELD_EVERY === 0) {
        await new Promise((r) => setImmediate(r));
        signal?.throwIfAborted();
      }
    }
    return new TenantModel(trainedAt, n, tags.build(), priority.build(), solved.build());
  }

  /** Tags (each on its own, at least even odds) and one priority; empty while the model has too little to go on. */
  classify(text: string): Pick<AiClassification, "tags" | "priority"> {
    const words = terms(text);
    const priority = this.priority?.best(words) ?? null;
    return {
      tags: this.tags?.each(words, 0.5, 3) ?? [],
      priority:
        priority && ["LOW", "NORMAL", "HIGH", "URGENT"].includes(priority.value) ? (priority as AiClassification["priority"]) : null,
    };
  }

  /** The solved tickets most like the text, best first. */
  similar(text: string, limit: number, exclude?: ReadonlySet<string>): Hit[] {
    return this.solved.search(terms(text), limit, exclude);
  }

  /** How much each word of the text tells in this tenant (rare words more): for choosing a summary's sentences. */
  weights(words: readonly string[]): Map<string, number> {
    return this.solved.weights(words);
  }
}
