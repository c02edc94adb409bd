// Light and dark: the system's preference until the toggle is used; the choice lasts for this
// visit only (the page stores nothing).

import { byId } from './dom.js';

export function setUpTheme() {
  const button = byId('theme-toggle');
  const media = window.matchMedia('(prefers-color-scheme: dark)');
  const isDark = () => (document.documentElement.dataset.theme ?? (media.matches ? 'dark' : 'light')) === 'dark';
  const show = () => {
    button.setAttribute('aria-pressed', String(isDark()));
    button.textContent = 'Dark theme';
  };
  button.addEventListener('click', () => {
    document.documentElement.dataset.theme = isDark() ? 'light' : 'dark';
    show();
  });
  media.addEventListener('change', show);
  show();
}
