import type { DataCategory } from "./taxonomy.js";
import type { Subject } from "./subjects.js";

/** The personal data one request has read: per subject, which categories. */
export class PersonalDataReads {
  readonly bySubject = new Map<string, { subject: Subject; categories: Set<DataCategory> }>();
  /** While set, every read is noted there too (a subscription's shared delivery collects what one execution read). */
  also: PersonalDataReads | undefined;

  noteRead(subject: Subject, category: DataCategory): void {
    const key = `${subject.type}:${subject.id}`;
    let entry = this.bySubject.get(key);
    if (!entry) this.bySubject.set(key, (entry = { subject, categories: new Set() }));
    entry.categories.add(category);
    this.also?.noteRead(subject, category);
  }

  /** Notes every read of `other` as this request's own. */
  add(other: PersonalDataReads): void {
    for (const { subject, categories } of other.bySubject.values()) for (const category of categories) this.noteRead(subject, category);
  }
}
