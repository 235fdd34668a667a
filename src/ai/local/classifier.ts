import naiveBayes from "wink-naive-bayes-text-classifier";
import type { Scored } from "../contract.js";

/**
 * A naive Bayes text classifier (wink-naive-bayes-text-classifier) over one
 * tenant's tickets. It needs examples of at least two labels and a small
 * vocabulary before it says anything; until then it is absent.
 */
export class Classifier {
  private constructor(private readonly nb: ReturnType<typeof naiveBayes>) {}

  /** Learns examples one by one (nothing of them is kept but word counts per label); `build` finishes. */
  static learner() {
    const nb = naiveBayes();
    // Presence, not counts: a long message saying "invoice" ten times is not ten times about billing.
    nb.defineConfig({ considerOnlyPresence: true, smoothingFactor: 0.5 });
    const labels = new Set<string>();
    return {
      learn(terms: string[], label: string) {
        if (!terms.length) return;
        nb.learn(terms, label);
        labels.add(label);
      },
      /** The classifier, or null when the examples are too few to learn from. */
      build(): Classifier | null {
        if (labels.size < 2) return null;
        try {
          nb.consolidate();
        } catch {
          // Too small a vocabulary to learn anything meaningful.
          return null;
        }
        return new Classifier(nb);
      },
    };
  }

  /**
   * One label for the text: each label's odds (log2) turned into a share of
   * the whole, so the confidences add up to 1. Null when no word of the text
   * was ever seen.
   */
  best(terms: string[]): Scored<string> | null {
    const odds = this.nb.computeOdds(terms);
    if (odds[0]?.[0] === "unknown") return null;
    const top = odds[0]![1];
    const total = odds.reduce((s, [, o]) => s + 2 ** (o - top), 0);
    return { value: odds[0]![0], confidence: 1 / total };
  }

  /**
   * Labels that apply on their own (tags: a ticket has several): each label's
   * odds against all others as a probability, those of at least `min`, best first.
   */
  each(terms: string[], min: number, limit: number): Scored<string>[] {
    const odds = this.nb.computeOdds(terms);
    if (odds[0]?.[0] === "unknown") return [];
    return odds
      .map(([value, o]) => ({ value, confidence: 1 / (1 + 2 ** -o) }))
      .filter((s) => s.confidence >= min)
      .slice(0, limit);
  }
}
