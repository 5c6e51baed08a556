import { describe, expect, it } from 'vitest';
import {
  accuracy,
  checkLabelIds,
  averageRanks,
  confusionMatrix,
  matthewsCorrcoef,
  meanStd,
  median,
  pearsonCorrcoef,
  percentile,
  precisionRecallF1,
  spearmanCorrcoef,
  uniqueLabels,
} from './metrics';

// Every expected value below is worked out by hand in the comments (argument order is (pred, gold)).

describe('binary classification, symmetric case', () => {
  //          i:  0  1  2  3  4  5  6  7
  const gold = [1, 1, 1, 0, 0, 0, 0, 1];
  const pred = [1, 0, 1, 0, 1, 0, 0, 1];
  // i0 TP, i1 FN, i2 TP, i3 TN, i4 FP, i5 TN, i6 TN, i7 TP  ->  TP 3, FN 1, FP 1, TN 3

  it('accuracy = (TP + TN) / n = 6 / 8', () => {
    expect(accuracy(pred, gold)).toBe(0.75);
  });

  it('binary P = 3/(3+1), R = 3/(3+1), F1 = 2*3/(2*3+1+1) = 0.75', () => {
    const s = precisionRecallF1(pred, gold, { average: 'binary' });
    expect(s.precision).toBeCloseTo(0.75, 12);
    expect(s.recall).toBeCloseTo(0.75, 12);
    expect(s.f1).toBeCloseTo(0.75, 12);
  });

  it('MCC = (TP*TN - FP*FN) / sqrt((TP+FP)(TP+FN)(TN+FP)(TN+FN)) = (9 - 1) / sqrt(4*4*4*4) = 0.5', () => {
    expect(matthewsCorrcoef(pred, gold)).toBeCloseTo(0.5, 12);
  });

  it('confusion matrix rows are gold, columns pred: [[TN, FP], [FN, TP]]', () => {
    expect(confusionMatrix(pred, gold)).toEqual({ labels: [0, 1], matrix: [[3, 1], [1, 3]] });
  });
});

describe('binary classification, asymmetric case', () => {
  //          i:  0  1  2  3  4  5
  const gold = [1, 1, 1, 1, 0, 0];
  const pred = [1, 1, 0, 0, 1, 0];
  // TP 2 (i0, i1), FN 2 (i2, i3), FP 1 (i4), TN 1 (i5)

  it('binary for label 1: P = 2/3, R = 2/4, F1 = 2*2/(2*2+1+2) = 4/7', () => {
    const s = precisionRecallF1(pred, gold, { average: 'binary', positiveLabel: 1 });
    expect(s.precision).toBeCloseTo(2 / 3, 12);
    expect(s.recall).toBeCloseTo(0.5, 12);
    expect(s.f1).toBeCloseTo(4 / 7, 12);
  });

  it('binary for label 0: tp 1, predicted 3 (i2,i3,i5), actual 2 -> P 1/3, R 1/2, F1 2/(3+2) = 2/5', () => {
    const s = precisionRecallF1(pred, gold, { average: 'binary', positiveLabel: 0 });
    expect(s.precision).toBeCloseTo(1 / 3, 12);
    expect(s.recall).toBeCloseTo(0.5, 12);
    expect(s.f1).toBeCloseTo(0.4, 12);
  });

  it('macro = mean over labels: P (2/3+1/3)/2 = 1/2, R (1/2+1/2)/2 = 1/2, F1 (4/7+2/5)/2 = 17/35', () => {
    const s = precisionRecallF1(pred, gold, { average: 'macro' });
    expect(s.precision).toBeCloseTo(0.5, 12);
    expect(s.recall).toBeCloseTo(0.5, 12);
    // Mean of per-label F1s, not 2PR/(P+R) of the means (which would be 0.5).
    expect(s.f1).toBeCloseTo(17 / 35, 12);
  });

  it('MCC = (2*1 - 1*2) / sqrt(3*4*2*3) = 0 with a non-zero denominator', () => {
    expect(matthewsCorrcoef(pred, gold)).toBe(0);
  });

  it('accuracy = 3/6', () => {
    expect(accuracy(pred, gold)).toBe(0.5);
  });
});

describe('multiclass with string labels', () => {
  //          i:   0    1    2    3    4    5    6    7    8
  const gold = ['a', 'a', 'a', 'b', 'b', 'c', 'c', 'c', 'c'];
  const pred = ['a', 'b', 'a', 'b', 'c', 'c', 'c', 'a', 'b'];
  // (gold, pred): (a,a) (a,b) (a,a) (b,b) (b,c) (c,c) (c,c) (c,a) (c,b)
  // C (rows gold a,b,c; cols pred a,b,c) = [[2,1,0],[0,1,1],[1,1,2]]

  it('confusion matrix', () => {
    expect(confusionMatrix(pred, gold)).toEqual({
      labels: ['a', 'b', 'c'],
      matrix: [
        [2, 1, 0],
        [0, 1, 1],
        [1, 1, 2],
      ],
    });
  });

  it('accuracy = trace / n = 5/9', () => {
    expect(accuracy(pred, gold)).toBeCloseTo(5 / 9, 12);
  });

  it('macro P, R, F1 from per-label scores', () => {
    // a: tp 2, predicted 3, actual 3 -> P 2/3, R 2/3, F1 2*2/(3+3) = 2/3
    // b: tp 1, predicted 3, actual 2 -> P 1/3, R 1/2, F1 2*1/(3+2) = 2/5
    // c: tp 2, predicted 3, actual 4 -> P 2/3, R 1/2, F1 2*2/(3+4) = 4/7
    // macro P = (2/3 + 1/3 + 2/3)/3 = 5/9; R = (2/3 + 1/2 + 1/2)/3 = 5/9
    // macro F1 = (2/3 + 2/5 + 4/7)/3 = (70 + 42 + 60)/105/3 = 172/315
    const s = precisionRecallF1(pred, gold, { average: 'macro' });
    expect(s.precision).toBeCloseTo(5 / 9, 12);
    expect(s.recall).toBeCloseTo(5 / 9, 12);
    expect(s.f1).toBeCloseTo(172 / 315, 12);
  });

  it('MCC from the confusion matrix as sklearn computes it', () => {
    // t (row sums) = [3,2,4], p (column sums) = [3,3,3], c = trace = 5, s = 9
    // cov(yt,yp) = c*s - t.p = 45 - (9+6+12) = 18
    // cov(yp,yp) = s^2 - p.p = 81 - 27 = 54;  cov(yt,yt) = s^2 - t.t = 81 - (9+4+16) = 52
    // MCC = 18 / sqrt(54 * 52) = 18 / sqrt(2808) ~ 0.33968
    expect(matthewsCorrcoef(pred, gold)).toBeCloseTo(18 / Math.sqrt(2808), 12);
    expect(matthewsCorrcoef(pred, gold)).toBeCloseTo(0.33968311024337877, 10);
  });

  it('binary average refuses three labels', () => {
    expect(() => precisionRecallF1(pred, gold, { average: 'binary', positiveLabel: 'a' })).toThrow(/at most two labels/);
  });
});

describe('degenerate cases', () => {
  it('all one class, predicted perfectly: accuracy 1, P = R = F1 = 1, MCC 0 (zero denominator)', () => {
    const gold = [1, 1, 1, 1];
    const pred = [1, 1, 1, 1];
    expect(accuracy(pred, gold)).toBe(1);
    expect(precisionRecallF1(pred, gold, { average: 'binary' })).toEqual({ precision: 1, recall: 1, f1: 1 });
    expect(precisionRecallF1(pred, gold, { average: 'macro' })).toEqual({ precision: 1, recall: 1, f1: 1 });
    // C = [[4]]: t = p = [4], s = 4 -> cov(yp,yp) = 16 - 16 = 0 -> MCC defined as 0 (as sklearn)
    expect(matthewsCorrcoef(pred, gold)).toBe(0);
  });

  it('positive label absent from gold and pred: every ratio is 0/0 -> 0', () => {
    const gold = [0, 0, 0];
    const pred = [0, 0, 0];
    // tp = 0, predicted = 0, actual = 0 for label 1
    expect(precisionRecallF1(pred, gold, { average: 'binary' })).toEqual({ precision: 0, recall: 0, f1: 0 });
  });

  it('a class never predicted: its precision is 0/0 -> 0', () => {
    const gold = [0, 1, 0, 1];
    const pred = [0, 0, 0, 0];
    // label 1: tp 0, predicted 0, actual 2 -> P 0 (0/0), R 0/2 = 0, F1 0/(0+2) = 0
    expect(precisionRecallF1(pred, gold, { average: 'binary' })).toEqual({ precision: 0, recall: 0, f1: 0 });
    // label 0: tp 2, predicted 4, actual 2 -> P 1/2, R 1, F1 2*2/(4+2) = 2/3
    // macro over [0, 1]: P (1/2 + 0)/2 = 1/4, R (1 + 0)/2 = 1/2, F1 (2/3 + 0)/2 = 1/3
    const m = precisionRecallF1(pred, gold, { average: 'macro' });
    expect(m.precision).toBeCloseTo(0.25, 12);
    expect(m.recall).toBeCloseTo(0.5, 12);
    expect(m.f1).toBeCloseTo(1 / 3, 12);
    expect(accuracy(pred, gold)).toBe(0.5);
    // C = [[2,0],[2,0]]: p = [4,0], s = 4 -> cov(yp,yp) = 16 - 16 = 0 -> MCC 0
    expect(matthewsCorrcoef(pred, gold)).toBe(0);
  });

  it('macro over explicit labels includes labels absent from the data (scoring 0)', () => {
    const gold = [0, 1, 0, 1];
    const pred = [0, 0, 0, 0];
    // labels [0, 1, 2]: label 2 has P = R = F1 = 0
    // P (1/2 + 0 + 0)/3 = 1/6, R (1 + 0 + 0)/3 = 1/3, F1 (2/3 + 0 + 0)/3 = 2/9
    const m = precisionRecallF1(pred, gold, { average: 'macro', labels: [0, 1, 2] });
    expect(m.precision).toBeCloseTo(1 / 6, 12);
    expect(m.recall).toBeCloseTo(1 / 3, 12);
    expect(m.f1).toBeCloseTo(2 / 9, 12);
    // A single explicit label is that label's binary score.
    expect(precisionRecallF1(pred, gold, { average: 'macro', labels: [0] })).toEqual(
      precisionRecallF1(pred, gold, { average: 'binary', positiveLabel: 0 }),
    );
  });

  it('empty predictions of a class in multiclass macro', () => {
    const gold = ['x', 'y', 'z', 'z'];
    const pred = ['x', 'x', 'z', 'z'];
    // x: tp 1, predicted 2, actual 1 -> P 1/2, R 1, F1 2/(2+1) = 2/3
    // y: tp 0, predicted 0, actual 1 -> P 0 (0/0), R 0, F1 0
    // z: tp 2, predicted 2, actual 2 -> 1, 1, 1
    // macro P (1/2 + 0 + 1)/3 = 1/2, R (1 + 0 + 1)/3 = 2/3, F1 (2/3 + 0 + 1)/3 = 5/9
    const m = precisionRecallF1(pred, gold, { average: 'macro' });
    expect(m.precision).toBeCloseTo(0.5, 12);
    expect(m.recall).toBeCloseTo(2 / 3, 12);
    expect(m.f1).toBeCloseTo(5 / 9, 12);
  });

  it('MCC is 1 for perfect and -1 for inverted binary predictions', () => {
    expect(matthewsCorrcoef([0, 1, 0, 1], [0, 1, 0, 1])).toBe(1);
    // C = [[0,2],[2,0]]: t = p = [2,2], c = 0, s = 4 -> (0 - 8) / sqrt(8 * 8) = -1
    expect(matthewsCorrcoef([1, 0, 1, 0], [0, 1, 0, 1])).toBe(-1);
  });

  it('binary average: string positive label, and a positive label that is not one of two labels', () => {
    const gold = ['neg', 'pos', 'pos'];
    const pred = ['pos', 'pos', 'neg'];
    // pos: tp 1, predicted 2, actual 2 -> 1/2, 1/2, 2/(2+2) = 1/2
    expect(precisionRecallF1(pred, gold, { average: 'binary', positiveLabel: 'pos' })).toEqual({
      precision: 0.5,
      recall: 0.5,
      f1: 0.5,
    });
    expect(() => precisionRecallF1(pred, gold, { average: 'binary' })).toThrow(/positiveLabel 1 is not one of/);
  });

  it('confusion matrix with explicit labels leaves out examples outside them', () => {
    // (gold, pred): (0,0) (1,2) (2,2) (1,1) -> with labels [1, 2] the (0,0) example is left out
    expect(confusionMatrix([0, 2, 2, 1], [0, 1, 2, 1], [1, 2])).toEqual({
      labels: [1, 2],
      matrix: [
        [1, 1],
        [0, 1],
      ],
    });
    expect(() => confusionMatrix([0], [0], [0, 0])).toThrow(/given twice/);
  });

  it('rejects mismatched lengths, empty input and mixed label types', () => {
    expect(() => accuracy([1, 0], [1])).toThrow(/pred has 2 labels but gold has 1/);
    expect(() => accuracy([], [])).toThrow(/no examples/);
    expect(() => matthewsCorrcoef([1, 'a'], [1, 'a'])).toThrow(/mix numbers and strings/);
  });

  it('uniqueLabels sorts numbers numerically', () => {
    expect(uniqueLabels([10, 2], [1, 2])).toEqual([1, 2, 10]);
    expect(uniqueLabels(['b', 'B', 'a'])).toEqual(['B', 'a', 'b']);
  });
});

describe('summary statistics', () => {
  it('meanStd uses the sample standard deviation (n - 1)', () => {
    // mean = 40/8 = 5; squared deviations 9+1+1+1+0+0+4+16 = 32; var = 32/7
    const s = meanStd([2, 4, 4, 4, 5, 5, 7, 9]);
    expect(s.mean).toBe(5);
    expect(s.std).toBeCloseTo(Math.sqrt(32 / 7), 12);
    expect(s.n).toBe(8);
    // [1, 2]: mean 1.5, deviations 0.25 + 0.25 = 0.5, var 0.5/1
    expect(meanStd([1, 2]).std).toBeCloseTo(Math.sqrt(0.5), 12);
  });

  it('meanStd of one value has std 0; of none throws', () => {
    expect(meanStd([3])).toEqual({ mean: 3, std: 0, n: 1 });
    expect(() => meanStd([])).toThrow(/no values/);
    expect(() => meanStd([1, Number.NaN])).toThrow(/NaN/);
  });

  it('percentile interpolates linearly like numpy', () => {
    const v = [40, 15, 50, 20, 35]; // sorted: 15 20 35 40 50, n = 5
    expect(percentile(v, 0)).toBe(15);
    expect(percentile(v, 100)).toBe(50);
    expect(percentile(v, 50)).toBe(35); // index 0.5*4 = 2
    expect(percentile(v, 25)).toBe(20); // index 1
    expect(percentile(v, 40)).toBeCloseTo(29, 12); // index 1.6: 20 + 0.6*(35-20) = 29
    expect(percentile(v, 90)).toBeCloseTo(46, 12); // index 3.6: 40 + 0.6*(50-40) = 46
    expect(percentile([1, 2, 3, 4], 90)).toBeCloseTo(3.7, 12); // index 2.7: 3 + 0.7*1
    expect(percentile([7], 37)).toBe(7);
    expect(v).toEqual([40, 15, 50, 20, 35]); // input not mutated
    expect(() => percentile(v, 101)).toThrow(RangeError);
    expect(() => percentile(v, -1)).toThrow(RangeError);
    expect(() => percentile([], 50)).toThrow(/no values/);
  });

  it('median is the middle value or the mean of the two middle ones', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([0.1, 0.2])).toBe((0.1 + 0.2) / 2);
  });
});

describe('correlation (STS-B: Pearson and Spearman, scipy conventions)', () => {
  it('pearsonCorrcoef on a hand-computed case', () => {
    // x = 1..5 (mean 3), y = 2 4 5 4 5 (mean 4): dx = -2 -1 0 1 2, dy = -2 0 1 0 1
    // sum dx*dy = 4 + 0 + 0 + 0 + 2 = 6; sum dx^2 = 10; sum dy^2 = 6  ->  r = 6 / sqrt(60)
    expect(pearsonCorrcoef([1, 2, 3, 4, 5], [2, 4, 5, 4, 5])).toBeCloseTo(6 / Math.sqrt(60), 12);
    expect(pearsonCorrcoef([2, 4, 5, 4, 5], [1, 2, 3, 4, 5])).toBeCloseTo(6 / Math.sqrt(60), 12); // symmetric
    // y = x^2 on 1..4: dx = -1.5 -0.5 0.5 1.5, dy = -6.5 -3.5 1.5 8.5 -> 25 / sqrt(5 * 129)
    expect(pearsonCorrcoef([1, 2, 3, 4], [1, 4, 9, 16])).toBeCloseTo(25 / Math.sqrt(645), 12);
    // Exact linear relations give +-1 (clipped, never 1.0000000000000002).
    expect(pearsonCorrcoef([0.1, 0.2, 0.3], [0.3, 0.6, 0.9])).toBeCloseTo(1, 15);
    expect(pearsonCorrcoef([0.1, 0.2, 0.3], [0.3, 0.6, 0.9])).toBeLessThanOrEqual(1);
    expect(pearsonCorrcoef([1, 2, 3], [5, 3, 1])).toBeCloseTo(-1, 15);
    // A large common offset does not spoil the result (deviations are taken from the means first).
    expect(pearsonCorrcoef([1e9 + 1, 1e9 + 2, 1e9 + 3, 1e9 + 4, 1e9 + 5], [2, 4, 5, 4, 5])).toBeCloseTo(6 / Math.sqrt(60), 9);
  });

  it('averageRanks gives ties the mean of their ranks (scipy rankdata "average")', () => {
    expect(averageRanks([10, 20, 20, 30])).toEqual([1, 2.5, 2.5, 4]);
    expect(averageRanks([2, 4, 5, 4, 5])).toEqual([1, 2.5, 4.5, 2.5, 4.5]);
    expect(averageRanks([3, 1, 2])).toEqual([3, 1, 2]);
    expect(averageRanks([7, 7, 7])).toEqual([2, 2, 2]);
  });

  it('spearmanCorrcoef on hand-computed cases with ties', () => {
    // ranks x = 1..5, ranks y = 1 2.5 4.5 2.5 4.5 (mean 3): dy = -2 -0.5 1.5 -0.5 1.5
    // sum dx*dy = 4 + 0.5 + 0 - 0.5 + 3 = 7; sum dx^2 = 10; sum dy^2 = 4 + .25 + 2.25 + .25 + 2.25 = 9 -> 7 / sqrt(90)
    expect(spearmanCorrcoef([1, 2, 3, 4, 5], [2, 4, 5, 4, 5])).toBeCloseTo(7 / Math.sqrt(90), 12);
    // Ties on both sides: ranks [1.5 1.5 3 4] and [4 1.5 1.5 3], means 2.5; dx = -1 -1 .5 1.5, dy = 1.5 -1 -1 .5
    // sum dx*dy = -1.5 + 1 - 0.5 + 0.75 = -0.25; sum dx^2 = sum dy^2 = 4.5 -> -0.25 / 4.5
    expect(spearmanCorrcoef([1, 1, 2, 3], [3, 1, 1, 2])).toBeCloseTo(-0.25 / 4.5, 12);
    // Any strictly monotone relation has rank correlation 1 (Pearson of y = x^2 is below 1, see above).
    expect(spearmanCorrcoef([1, 2, 3, 4], [1, 4, 9, 16])).toBeCloseTo(1, 15);
    expect(spearmanCorrcoef([1, 2, 3, 4], [-1, -8, -27, -64])).toBeCloseTo(-1, 15);
  });

  it('constant input gives NaN (as scipy: the coefficient is undefined), NaN values propagate', () => {
    expect(pearsonCorrcoef([1, 2, 3], [2, 2, 2])).toBeNaN();
    expect(pearsonCorrcoef([4, 4], [1, 2])).toBeNaN();
    expect(spearmanCorrcoef([1, 2, 3], [5, 5, 5])).toBeNaN();
    expect(pearsonCorrcoef([1, Number.NaN, 3], [1, 2, 3])).toBeNaN();
    expect(spearmanCorrcoef([1, 2, 3], [1, Number.NaN, 3])).toBeNaN();
  });

  it('rejects mismatched lengths and fewer than two values', () => {
    expect(() => pearsonCorrcoef([1, 2], [1, 2, 3])).toThrow(/pred has 2 values but gold has 3/);
    expect(() => spearmanCorrcoef([1], [1])).toThrow(/at least 2 values, got 1/);
    expect(() => pearsonCorrcoef([], [])).toThrow(RangeError);
  });
});

describe('checkLabelIds', () => {
  it('accepts ids in [0, k) and names the first bad entry otherwise', () => {
    expect(() => checkLabelIds([0, 2, 1], [1, 1, 0], 3)).not.toThrow();
    expect(() => checkLabelIds([0], [0, 1], 3)).toThrow('score: 1 predictions for 2 gold labels');
    expect(() => checkLabelIds([0, 3], [0, 1], 3)).toThrow('score: predicted[1] is 3, expected a label id in [0, 3)');
    expect(() => checkLabelIds([0, 1], [0.5, 1], 3)).toThrow('score: gold[0] is 0.5, expected a label id in [0, 3)');
  });
});
