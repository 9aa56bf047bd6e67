import { useEffect, useRef, type ReactNode } from 'react';

let firstPage = true;

/**
 * The page's h1. After a navigation inside the app the focus moves here, so that keyboard and
 * screen-reader users start reading the new page (the browser does this only on full loads).
 */
export function PageHeading({ children, title }: { children: ReactNode; title: string }) {
  const ref = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    document.title = `${title} – CRM Patronati`;
    if (firstPage) {
      firstPage = false;
      return;
    }
    ref.current?.focus();
  }, [title]);
  return (
    <h1 ref={ref} tabIndex={-1} className="page-heading">
      {children}
    </h1>
  );
}
