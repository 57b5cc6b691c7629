/**
 * `true` when A and B accept the same values and have the same keys. A
 * driver writes its public options type out in full (so zod's types stay out
 * of its .d.ts) and checks it against its schema:
 *
 * @example
 * type _Matches = Holds<SameShape<FileOptions, z.input<typeof objectSchema>>>;
 */
export type SameShape<A, B> = [A] extends [B]
  ? [B] extends [A]
    ? [keyof A] extends [keyof B]
      ? [keyof B] extends [keyof A]
        ? true
        : false
      : false
    : false
  : false;

/**
 * `true` when every value of A is one of B's and both have the same keys: for
 * a written-out input type whose schema takes more than it says (a coerced
 * port's input is `unknown`; the type says `number | string`).
 */
export type Narrows<A, B> = [A] extends [B]
  ? [keyof A] extends [keyof B]
    ? [keyof B] extends [keyof A]
      ? true
      : false
    : false
  : false;

/** Fails the type-check unless T is `true`. */
export type Holds<T extends true> = T;
