import { useRef, useState, type KeyboardEvent, type ReactNode } from 'react';
import { Link, NavLink, useLocation } from 'react-router';
import { useAuth } from '../auth/AuthContext';
import { Icon } from './Icon';
import { navFor } from './nav';
import { NOTIFIED_ROLES, NotificheLink } from './NotificheLink';

/** AgID layout: skip links, slim header (ente, user, Esci), centre header, navbar, footer. */
export function Layout({
  children,
  nav = true,
  title = 'CRM Patronati – Scrivi alla sede',
  home,
}: {
  children: ReactNode;
  nav?: boolean;
  /** The service's name in the header (the citizens' app is "Sportelli di Sede"). */
  title?: string;
  /** Where the brand links to; default: the signed-in home or Accesso. */
  home?: string;
}) {
  const { me, signOut } = useAuth();
  const location = useLocation();
  // The mobile menu is open on the visit where it was opened: navigating closes it. The visit's
  // key, not the path: coming back to the same path later must not find it open again.
  const [openOn, setOpenOn] = useState<string | null>(null);
  const menuOpen = openOn === location.key;
  const setMenuOpen = (open: boolean) => setOpenOn(open ? location.key : null);
  const toggler = useRef<HTMLButtonElement>(null);
  // Esc closes the phone menu and gives the focus back to its button.
  function menuKey(e: KeyboardEvent) {
    if (e.key === 'Escape' && menuOpen) {
      setMenuOpen(false);
      toggler.current?.focus();
    }
  }

  return (
    <>
      <div className="skiplinks">
        <a className="visually-hidden-focusable" href="#main">Vai al contenuto principale</a>
        {nav && me && <a className="visually-hidden-focusable" href="#nav-main">Vai alla navigazione</a>}
        <a className="visually-hidden-focusable" href="#footer">Vai al piè di pagina</a>
      </div>
      <header className="it-header-wrapper">
        <div className="it-header-slim-wrapper">
          <div className="container">
            <div className="row">
              <div className="col-12">
                <div className="it-header-slim-wrapper-content">
                  <a className="navbar-brand" href="https://www.inps.it" rel="noopener">
                    Ente: INPS
                  </a>
                  <div className="it-header-slim-right-zone">
                    {me && (
                      <div className="d-flex align-items-center gap-2 slim-user">
                        {NOTIFIED_ROLES.includes(me.role) && <NotificheLink />}
                        <Icon name="it-user" color="white" size="sm" />
                        <span className="slim-user-name">
                          {me.display_name ?? me.id}
                          <span className="visually-hidden">, {me.role_label}</span>
                        </span>
                        <button type="button" className="btn btn-sm btn-outline-light ms-2" onClick={signOut}>
                          Esci
                        </button>
                      </div>
                    )}
                  </div>
                </div>
              </div>
            </div>
          </div>
        </div>
        <div className="it-nav-wrapper">
          <div className="it-header-center-wrapper">
            <div className="container">
              <div className="row">
                <div className="col-12">
                  <div className="it-header-center-content-wrapper">
                    <div className="it-brand-wrapper">
                      <Link to={home ?? (me ? '/' : '/accesso')}>
                        <Icon name="it-pa" size="xl" color="white" />
                        <div className="it-brand-text">
                          <div className="it-brand-title">{title}</div>
                          <div className="it-brand-tagline d-none d-md-block">
                            Istituto Nazionale della Previdenza Sociale
                          </div>
                        </div>
                      </Link>
                    </div>
                  </div>
                </div>
              </div>
            </div>
          </div>
          {nav && me && (
            <div className="it-header-navbar-wrapper">
              <div className="container">
                <div className="row">
                  <div className="col-12">
                    <nav className="navbar navbar-expand-lg" aria-label="Navigazione principale">
                      <button
                        ref={toggler}
                        className="custom-navbar-toggler"
                        type="button"
                        aria-controls="nav-main"
                        aria-expanded={menuOpen}
                        onClick={() => setMenuOpen(!menuOpen)}
                      >
                        <Icon name="it-burger" />
                        <span className="visually-hidden">Menu di navigazione</span>
                      </button>
                      <div
                        className={`navbar-collapsable ${menuOpen ? 'expanded' : ''}`}
                        id="nav-main"
                        // Bootstrap Italia shows the mobile menu with display:block set from script.
                        style={menuOpen ? { display: 'block' } : undefined}
                        onKeyDown={menuKey}
                      >
                        <div className="overlay" />
                        <div className="close-div">
                          <button type="button" className="btn close-menu" onClick={() => setMenuOpen(false)}>
                            <span className="visually-hidden">Chiudi il menu</span>
                            <Icon name="it-close-big" />
                          </button>
                        </div>
                        <div className="menu-wrapper">
                          <ul className="navbar-nav">
                            {navFor(me.role).map((n) => (
                              <li className="nav-item" key={n.to}>
                                <NavLink className="nav-link" to={n.to} end={n.end}>
                                  <span>{n.label}</span>
                                </NavLink>
                              </li>
                            ))}
                          </ul>
                        </div>
                      </div>
                    </nav>
                  </div>
                </div>
              </div>
            </div>
          )}
        </div>
      </header>
      <main id="main" className="container my-4" tabIndex={-1}>
        {children}
      </main>
      <footer id="footer" className="it-footer" tabIndex={-1}>
        <div className="it-footer-small-prints clearfix">
          <div className="container">
            <h2 className="visually-hidden">Sezione Link Utili</h2>
            <ul className="it-footer-small-prints-list list-inline mb-0 d-flex flex-column flex-md-row">
              <li className="list-inline-item">
                <Link to="/dichiarazione-accessibilita">Dichiarazione di accessibilità</Link>
              </li>
              <li className="list-inline-item">
                <a href="https://www.inps.it/it/it/privacy.html" rel="noopener">Privacy</a>
              </li>
              <li className="list-inline-item">
                <a href="https://www.inps.it/it/it/note-legali.html" rel="noopener">Note legali</a>
              </li>
            </ul>
          </div>
        </div>
      </footer>
    </>
  );
}
