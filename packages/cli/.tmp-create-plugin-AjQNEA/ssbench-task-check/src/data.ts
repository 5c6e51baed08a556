/**
 * The task's labelled data, inline: 24 short English sentences, 12 about sport and 12 about cooking, written for
 * this package (no external source, same licence as the package). Replace them with your own data set, or read
 * files in `create`/`load` (see README.md: data that is downloaded or extracted belongs under `ctx.dataDir`).
 */

/** Label names; an example's `label` is an index into this list. */
export const LABELS = ['sport', 'cooking'] as const;

export interface LabelledSentence {
  readonly text: string;
  /** Index into LABELS. */
  readonly label: number;
}

const SPORT = [
  'The striker scored twice in the second half.',
  'Our team won the match after extra time.',
  'She ran the marathon in under three hours.',
  'The goalkeeper saved a penalty in the final minute.',
  'He served three aces in the opening set.',
  'The coach picked a young side for the cup game.',
  'Fans cheered as the runners crossed the finish line.',
  'The referee showed a red card to the defender.',
  'They trained on the pitch every morning before the season.',
  'The cyclist climbed the mountain stage in record time.',
  'A late goal sent the home crowd wild.',
  'The swimmer broke the national record in the relay.',
];

const COOKING = [
  'Chop the onions and fry them in butter until golden.',
  'Bake the bread for forty minutes in a hot oven.',
  'Stir the sauce slowly so that it does not burn.',
  'Season the soup with salt, pepper and a little lemon.',
  'Whisk the eggs with sugar until the mixture is pale.',
  'Roast the potatoes with garlic and fresh rosemary.',
  'Let the dough rest for an hour before rolling it out.',
  'Simmer the beans gently with tomatoes and herbs.',
  'Grate the cheese over the pasta just before serving.',
  'Marinate the chicken overnight in yogurt and spices.',
  'Melt the chocolate over a pan of warm water.',
  'Slice the apples thinly and layer them in the tart.',
];

/** Every example, in a fixed order (the splits shuffle them with their own seed). */
export const EXAMPLES: readonly LabelledSentence[] = [
  ...SPORT.map((text) => ({ text, label: 0 })),
  ...COOKING.map((text) => ({ text, label: 1 })),
];
