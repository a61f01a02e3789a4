/**
 * A wide table's horizontal scroller (narrow screens). While the table is wider than the screen, the scroller is a
 * named region in the tab order, so people without a mouse can scroll it with the arrow keys; otherwise it is a
 * plain box (no extra tab stop or landmark).
 */
import { type ReactNode, useEffect, useRef, useState } from 'react';

export function TableScroll({ label, children }: { label: string; children: ReactNode }) {
  const box = useRef<HTMLDivElement>(null);
  const [scrolls, setScrolls] = useState(false);

  useEffect(() => {
    const element = box.current;
    if (!element) return;
    const measure = () => setScrolls(element.scrollWidth > element.clientWidth + 1);
    measure();
    const observer = new ResizeObserver(measure);
    observer.observe(element);
    if (element.firstElementChild) observer.observe(element.firstElementChild);
    return () => observer.disconnect();
  }, []);

  // Only while it scrolls: a region with a name, in the tab order.
  const region = scrolls ? { role: 'region', 'aria-label': label, tabIndex: 0 } : {};
  return (
    <div ref={box} className="table-scroll" {...region}>
      {children}
    </div>
  );
}
