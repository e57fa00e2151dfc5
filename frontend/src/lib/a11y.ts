// EventCalendar marks its root role=table and its parts row/rowgroup/columnheader, but puts the
// events (role=button) and its toolbar directly inside them, which ARIA does not allow (axe:
// aria-required-children, critical). Broken table semantics are worse than none, so this
// attachment turns the grid into plain groups: the root becomes a labelled region, the row roles
// go, and column headers keep their text. It re-applies after the grid re-renders.
export function plainGrid(label: string) {
  return (node: HTMLElement) => {
    const fix = () => {
      const root = node.querySelector<HTMLElement>('.ec');
      // The agenda (role=list of listitems) is valid as it is; only the table views are broken.
      if (root && root.getAttribute('role') === 'table') {
        root.setAttribute('role', 'region');
        root.setAttribute('aria-label', label);
      }
      for (const el of node.querySelectorAll('[role="row"],[role="rowgroup"],[role="columnheader"],[role="rowheader"],[role="cell"],[role="gridcell"]')) {
        el.removeAttribute('role');
      }
      for (const el of node.querySelectorAll('[aria-colindex],[aria-rowindex]')) {
        el.removeAttribute('aria-colindex');
        el.removeAttribute('aria-rowindex');
      }
    };
    fix();
    const observer = new MutationObserver(fix);
    observer.observe(node, { childList: true, subtree: true });
    return () => observer.disconnect();
  };
}
