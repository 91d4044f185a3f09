/**
 * Point radii for a line series drawn without markers: a point with no drawn neighbour (a run that logged one loss,
 * or a value between two gaps) has no line segment either, so with radius 0 it would not be drawn at all. Those
 * points get `markerRadius`; the rest keep `lineRadius`. Returns a single number when no point is isolated, so
 * long curves carry no per-point array.
 */
export function pointRadii(
  data: readonly { y: number | null }[],
  lineRadius: number,
  markerRadius = 3,
): number | number[] {
  if (lineRadius >= markerRadius) return lineRadius;
  const drawn = (i: number) => {
    const y = data[i]?.y;
    return typeof y === 'number' && Number.isFinite(y);
  };
  let radii: number[] | undefined;
  for (let i = 0; i < data.length; i++) {
    if (drawn(i) && !drawn(i - 1) && !drawn(i + 1)) {
      radii ??= new Array<number>(data.length).fill(lineRadius);
      radii[i] = markerRadius;
    }
  }
  return radii ?? lineRadius;
}
