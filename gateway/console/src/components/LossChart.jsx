import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';

/**
 * Train loss, eval loss (left axis) and learning rate (right axis) by step, drawn with uPlot (canvas, ~50 KB, fast
 * with thousands of points). The canvas is hidden from screen readers; the latest values are in the caption and the
 * points in a table underneath. points: [{step, train_loss, valid_loss, learning_rate}] in step order.
 */
export function LossChart({ points }) {
  const box = useRef(null);
  const plot = useRef(null);

  const data = () => [
    points.map((p) => p.step),
    points.map((p) => p.train_loss ?? null),
    points.map((p) => p.valid_loss ?? null),
    points.map((p) => p.learning_rate ?? null),
  ];

  useEffect(() => {
    const width = () => Math.max(260, box.current.clientWidth);
    plot.current = new uPlot({
      width: width(),
      height: 260,
      scales: { x: { time: false } },
      legend: { live: false },
      series: [
        { label: 'step' },
        { label: 'train loss', stroke: '#2563eb', width: 2, spanGaps: true },
        { label: 'eval loss', stroke: '#d97706', width: 2, spanGaps: true, points: { show: true } },
        { label: 'learning rate', stroke: '#059669', width: 1, dash: [6, 4], scale: 'lr', spanGaps: true },
      ],
      axes: [
        { label: 'step' },
        { label: 'loss' },
        { scale: 'lr', side: 1, label: 'lr', size: 70, grid: { show: false },
          values: (u, ticks) => ticks.map((t) => t.toExponential(1)) },
      ],
    }, data(), box.current);
    const resize = new ResizeObserver(() => plot.current.setSize({ width: width(), height: 260 }));
    resize.observe(box.current);
    return () => { resize.disconnect(); plot.current.destroy(); };
  }, []);

  useEffect(() => { plot.current && plot.current.setData(data()); }, [points]);

  const last = points[points.length - 1];
  return (
    <figure class="chart">
      <figcaption>
        {last ? <>Step {last.step}{last.total_steps ? ` of ${last.total_steps}` : ''}: train loss {fmt(last.train_loss)}
          {last.valid_loss != null && <>, eval loss {fmt(last.valid_loss)}</>}, learning rate {fmt(last.learning_rate)}</>
          : 'No training steps yet: the curve starts with the first step.'}
      </figcaption>
      <div ref={box} aria-hidden="true" data-points={points.length} class="chart-canvas" />
      <details>
        <summary>Points as a table ({points.length})</summary>
        <table class="small">
          <thead><tr><th>step</th><th>train loss</th><th>eval loss</th><th>learning rate</th></tr></thead>
          <tbody>{points.slice(-200).map((p) => (
            <tr key={p.step}><td>{p.step}</td><td>{fmt(p.train_loss)}</td><td>{fmt(p.valid_loss)}</td><td>{fmt(p.learning_rate)}</td></tr>
          ))}</tbody>
        </table>
      </details>
    </figure>
  );
}

function fmt(v) {
  if (v == null) return '–';
  return Math.abs(v) < 1e-3 && v !== 0 ? v.toExponential(2) : v.toFixed(4);
}
