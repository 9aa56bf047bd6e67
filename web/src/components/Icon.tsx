import sprites from 'bootstrap-italia/dist/svg/sprites.svg?url';

interface Props {
  name: string;
  className?: string;
  size?: 'xs' | 'sm' | 'lg' | 'xl';
  color?: 'primary' | 'white' | 'success' | 'danger' | 'warning';
  /** A label makes the icon meaningful to screen readers; without one it is decoration. */
  title?: string;
}

/** Bootstrap Italia's sprite, served from our own origin (one hashed file, cached). */
export function Icon({ name, className, size, color, title }: Props) {
  const cls = ['icon', size ? `icon-${size}` : '', color ? `icon-${color}` : '', className ?? ''].filter(Boolean).join(' ');
  return (
    <svg className={cls} aria-hidden={title ? undefined : true} role={title ? 'img' : undefined} aria-label={title} focusable="false">
      <use href={`${sprites}#${name}`} />
    </svg>
  );
}
