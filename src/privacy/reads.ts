import type { DataCategory } from "./taxonomy.js";
import type { Subject } from "./subjects.js";

/** The personal data one request has read: per subject, which categories. */
export class PersonalDataReads {
  readonly bySubject = new Map<string, { subject: Subject; categories: Set<DataCategory> }>();

  noteRead(subject: Subject, category: DataCategory): void {
    const key = `${subject.type}:${subject.id}`;
    let entry = this.bySubject.get(key);
    if (!entry) this.bySubject.set(key, (entry = { subject, categories: new Set() }));
    entry.categories.add(category);
  }
}
