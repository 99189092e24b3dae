/** A name/value table of a tensor's statistics (a weight's, an activation's). */
export function StatRows({ rows, testId }: { rows: [string, string][]; testId: string }) {
  return (
    <table className="weight-stats" data-testid={testId}>
      <tbody>
        {rows.map(([k, v]) => (
          <tr key={k} data-stat={k}>
            <th>{k}</th>
            <td>{v}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
