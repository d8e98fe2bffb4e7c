/**
 * A horizontal bar chart in plain HTML: the numbers are text a screen reader reads and a user can copy, and it
 * needs no canvas. rows: [{label, value}].
 */
export function Bars({ title, rows, unit = '' }) {
  const max = Math.max(1, ...rows.map((r) => r.value));
  return (
    <figure class="bars">
      <figcaption>{title}</figcaption>
      {rows.length === 0 ? <p class="muted small">nothing to show</p> : (
        <table>
          <tbody>
            {rows.map((r) => (
              <tr key={r.label}>
                <th scope="row" title={r.label}>{r.label}</th>
                <td>
                  <span class="bar" style={{ width: `${(100 * r.value) / max}%` }} aria-hidden="true" />
                  <span class="value">{r.value.toLocaleString()}{unit}</span>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </figure>
  );
}
