// The page of create-next-app's App Router starter (its CSS module and global CSS), rendered
// by React without Next's server.
import { createRoot } from 'react-dom/client';
import './app/globals.css';
import Home from './app/page.jsx';

createRoot(document.getElementById('root')).render(<Home />);
