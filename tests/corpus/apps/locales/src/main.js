// mdui's documented way to load its locales: a template-string import(), so each locale file
// becomes a lazy chunk and only the one asked for is fetched.
import 'mdui/mdui.css';
import 'mdui/components/button.js';
import 'mdui/components/text-field.js';
import { loadLocale } from 'mdui/functions/loadLocale.js';
import { setLocale } from 'mdui/functions/setLocale.js';
import { getLocale } from 'mdui/functions/getLocale.js';

loadLocale((locale) => import(`../node_modules/mdui/locales/${locale}.js`));
const locales = import.meta.glob('../node_modules/mdui/locales/*.js');

document.getElementById('title').textContent = `${import.meta.env.VITE_APP_TITLE} (${import.meta.env.MODE})`;
await setLocale('de-de');
const field = document.getElementById('field');
await field.updateComplete;
field.reportValidity();
document.getElementById('out').textContent = `${getLocale()}, ${Object.keys(locales).length} locales: ${field.validationMessage}`;
document.getElementById('out').className = 'done';
