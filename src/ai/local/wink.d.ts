// The wink packages ship no type declarations: the parts the local provider uses.

declare module "wink-naive-bayes-text-classifier" {
  interface NaiveBayesTextClassifier {
    defineConfig(config: { considerOnlyPresence?: boolean; smoothingFactor?: number }): boolean;
    learn(tokens: string[], label: string): boolean;
    consolidate(): boolean;
    /** [label, log2 odds] pairs, best first; [["unknown", 0]] when no token is known. */
    computeOdds(tokens: string[]): [string, number][];
  }
  function naiveBayesTextClassifier(): NaiveBayesTextClassifier;
  export default naiveBayesTextClassifier;
}

declare module "wink-porter2-stemmer" {
  function stem(word: string): string;
  export default stem;
}
